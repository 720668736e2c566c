//! hirundo's analysis: report periods and their
//! local days ([`period`]), rankings with previous-period ranks ([`rank`]), event detection on
//! daily series ([`events`]), DoS backscatter victims ([`victims`]), and the report's data
//! model ([`model`]), whose JSON form is the contract of DESIGN.md; [`gather`] builds a
//! report from the store's rollups.

pub mod events;
pub mod gather;
pub mod model;
pub mod period;
pub mod rank;
pub mod victims;

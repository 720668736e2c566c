//! Research-scanner attribution: which organisation runs the scanners behind a source address.
//!
//! Much of what a darknet sees comes from research and commercial scanning projects (Censys,
//! Shadowserver, Project Sonar, ...) that publish their networks and serve a page on their
//! scanning hosts saying so. This crate holds the [`Registry`] of those networks, loaded from
//! a CSV file `cidr,name[,url]` or the dated built-in list, and answers longest-prefix lookups
//! at query time, so that editing the list re-attributes the whole history. [`probe`] does
//! what analysts do by hand for an unknown busy source: reverse DNS, then `http://ADDRESS/`
//! and `https://ADDRESS/`, looking for a page that declares research scanning.
//!
//! ```
//! use hirundo_scanners::Registry;
//!
//! let registry = Registry::builtin();
//! let entry = registry.lookup("162.142.125.7".parse().unwrap()).unwrap();
//! assert_eq!(&*entry.name, "Censys");
//!
//! let mine = Registry::from_csv("cidr,name\n192.0.2.0/24,Example Lab\n", "mine.csv").unwrap();
//! assert_eq!(&*mine.lookup("192.0.2.9".parse().unwrap()).unwrap().name, "Example Lab");
//! assert!(mine.lookup("162.142.125.7".parse().unwrap()).is_none());
//! ```

pub mod classify;
pub mod dns;
pub mod probe;
pub mod registry;

pub use probe::{probe, ProbeConfig, ProbeReport, Verdict};
pub use registry::{
    append_rows, Entry, LineProblem, NewRow, Registry, RegistryError, Target, DEFAULT_CSV,
};

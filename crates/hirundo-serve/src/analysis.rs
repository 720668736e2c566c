//! What the report's analysis finds, for any range: events, DoS victims, research-scanner
//! and fingerprint shares, and the whole report. One report is built per range and store
//! version, from the rollups in memory, and shared by the endpoints that show parts of it.

use std::sync::Arc;

use chrono::Datelike;

use hirundo_analyze::gather::{build_report_from, ReportOptions};
use hirundo_analyze::model::{Event, FingerprintShare, Report, ScannerShare, Victim};
use hirundo_analyze::period::Period;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::memory::MemoryRollups;
use crate::params::{country_code, Range, RangeParams};
use crate::state::ServeState;
use crate::store_info::last_day;

/// The report's own parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Quarter `2026Q3`, month `2026-08` or ISO week `2026-W33`; without it, `from` and `to`
    /// (or their defaults) are the period.
    #[param(
        pattern = r"^[0-9]{4}(Q[1-4]|-[0-9]{2}|-W[0-9]{2})$",
        example = "2026Q3"
    )]
    pub period: Option<String>,
    /// ISO 3166 code of the home country, whose rank among each surging port's sources is
    /// given.
    #[param(pattern = "^[A-Za-z]{2}$", example = "JP")]
    pub home: Option<String>,
}

/// The report of `period` (or of the range) in the range's zone.
pub fn report(
    state: &ServeState,
    range: &RangeParams,
    params: &ReportParams,
) -> Result<Arc<Report>, ApiError> {
    let resolved = range.resolve(last_day(state)?)?;
    let period = match &params.period {
        Some(text) => Period::parse(text).map_err(|e| ApiError::parameter("period", text, e))?,
        None => custom(&resolved)?,
    };
    let home = match &params.home {
        Some(text) => Some(country_code("home", text)?),
        None => None,
    };
    build(state, period, &resolved, home)
}

/// The report of exactly the range.
pub fn range_report(state: &ServeState, range: &RangeParams) -> Result<Arc<Report>, ApiError> {
    let resolved = range.resolve(last_day(state)?)?;
    build(state, custom(&resolved)?, &resolved, None)
}

/// Builds what the dashboard asks for first, so that its first views find it ready: the
/// analysis of the default range (the last 30 days, UTC), whose events the overview shows,
/// and the report of the quarter of the store's last day (UTC), the report view's default.
pub fn warm(state: &ServeState) -> Result<(), ApiError> {
    let default_range = RangeParams::default();
    range_report(state, &default_range)?;
    if let Some(day) = last_day(state)? {
        let quarter = ReportParams {
            period: Some(format!("{}Q{}", day.year(), day.month0() / 3 + 1)),
            home: None,
        };
        report(state, &default_range, &quarter)?;
    }
    Ok(())
}

fn custom(range: &Range) -> Result<Period, ApiError> {
    Period::custom(range.first, range.last).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn build(
    state: &ServeState,
    period: Period,
    range: &Range,
    home: Option<String>,
) -> Result<Arc<Report>, ApiError> {
    let key = format!(
        "{}|{}|{}",
        period.to_info().label,
        range.tz.name(),
        home.as_deref().unwrap_or("")
    );
    state.report(key, || {
        let options = ReportOptions::standard(period, range.tz, home, state.scanners.clone(), 20);
        let (cube, sources) = (state.cube()?, state.source_cube()?);
        let memory = MemoryRollups {
            cube: &cube,
            sources: &sources,
        };
        Ok(build_report_from(&state.store, &options, Some(&memory))?)
    })
}

/// `GET /api/v1/events`.
#[derive(Serialize, ToSchema)]
pub struct EventsAnswer {
    /// As in the report JSON's `events`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Event>,
}

/// `GET /api/v1/victims`.
#[derive(Serialize, ToSchema)]
pub struct VictimsAnswer {
    /// As in the report JSON's `backscatter`.
    #[schema(value_type = Vec<Object>)]
    pub victims: Vec<Victim>,
}

/// `GET /api/v1/scanners`.
#[derive(Serialize, ToSchema)]
pub struct ScannersAnswer {
    /// As in the report JSON's `scanners`: research-scanner share per country.
    #[schema(value_type = Vec<Object>)]
    pub scanners: Vec<ScannerShare>,
    /// As in the report JSON's `fingerprints`.
    #[schema(value_type = Vec<Object>)]
    pub fingerprints: Vec<FingerprintShare>,
}

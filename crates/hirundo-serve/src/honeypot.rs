//! Honeypot events of a range, newest first, a page at a time (`/api/v1/honeypot`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::dimension::ints;
use crate::error::ApiError;
use crate::params::{count, country_code, RangeParams};
use crate::state::ServeState;
use crate::store_info::last_day;
use crate::traffic::utc_day;

const MAX_LIMIT: usize = 1_000;
const MAX_OFFSET: u64 = 1_000_000_000;

/// Paging and filters of honeypot events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoneypotParams {
    /// The honeypot port the clients reached (`1433`).
    #[param(value_type = Option<u16>)]
    pub port: Option<String>,
    /// ISO 3166 alpha-2 code of the client's country.
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Events to skip (default 0, at most 10^9).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000000000)]
    pub offset: Option<String>,
}

/// `GET /api/v1/honeypot`.
#[derive(Serialize, ToSchema)]
pub struct HoneypotAnswer {
    /// Events of the range with the filters, all pages.
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    /// `time` (RFC 3339, UTC), `protocol`, `kind`, `src`, `src_port`, `dst_port`,
    /// `src_country`, `username`, `password`, `client_app`, `client_library`,
    /// `client_version`, `encrypted`, `text` (absent when empty).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

const COLUMNS: &str = "to_char(ts, '%Y-%m-%dT%H:%M:%S%.3fZ') AS time, protocol, kind, src, \
    src_port, dst_port, src_country, username, password, client_app, client_library, \
    client_version, encrypted, text";

pub fn events(
    state: &ServeState,
    range: &RangeParams,
    params: &HoneypotParams,
) -> Result<HoneypotAnswer, ApiError> {
    let range = range.resolve(last_day(state)?)?;
    let limit = count("limit", params.limit.as_deref(), 100, MAX_LIMIT)?;
    let offset = match params.offset.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= MAX_OFFSET)
            .ok_or_else(|| ApiError::parameter("offset", text, "not a whole number up to 10^9"))?,
    };
    let (start, end) = (range.days.utc_start_secs(), range.days.utc_end_secs());
    let mut filter = format!(
        "CAST(ts AS BIGINT) >= {} AND CAST(ts AS BIGINT) < {}",
        start as i128 * 1_000_000_000,
        end as i128 * 1_000_000_000
    );
    if let Some(text) = &params.port {
        let port: u16 = text
            .parse()
            .map_err(|_| ApiError::parameter("port", text, "not a port number"))?;
        filter.push_str(&format!(" AND dst_port = {port}"));
    }
    if let Some(text) = &params.country {
        let code = country_code("country", text)?;
        filter.push_str(&format!(" AND src_country = '{code}'"));
    }
    let reader = state
        .store
        .reader(Some((&utc_day(start), &utc_day(end - 1))))?;
    let counted = reader.sql(&format!("SELECT COUNT(*) FROM honeypot WHERE {filter}"))?;
    let total = counted
        .first()
        .map(|b| ints(b.column(0)))
        .transpose()?
        .and_then(|v| v.first().copied())
        .unwrap_or(0) as u64;
    let page = reader.sql(&format!(
        "SELECT {COLUMNS} FROM honeypot WHERE {filter} ORDER BY ts DESC, src, src_port \
         LIMIT {limit} OFFSET {offset}"
    ))?;
    let mut json = Vec::new();
    hirundo_store::print_batches(&page, hirundo_store::OutputFormat::Json, &mut json)?;
    let events: Vec<Value> = serde_json::from_slice(&json)
        .map_err(|e| ApiError::Internal(format!("honeypot rows as JSON: {e}")))?;
    Ok(HoneypotAnswer {
        total,
        offset,
        limit: limit as u64,
        events,
    })
}

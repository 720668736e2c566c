//! What the store holds (`/api/v1/info`) and how its sensors are doing (`/api/v1/sensors`).

use chrono::{DateTime, NaiveDate, SecondsFormat};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::ServeState;

/// `GET /api/v1/info`.
#[derive(Serialize, ToSchema)]
pub struct Info {
    /// UTC day of the first packet, null for an empty store.
    pub first_day: Option<String>,
    /// UTC day of the last packet.
    pub last_day: Option<String>,
    pub packets: u64,
    pub malformed: u64,
    pub sensors: Vec<String>,
    pub honeypot_events: u64,
    /// The store's commit version: answers change only when it does.
    pub version: u64,
}

pub fn info(state: &ServeState) -> Result<Info, ApiError> {
    let version = state.store.version()?;
    let stats = state.stats()?;
    Ok(Info {
        first_day: stats.first_ts_ns.map(|ns| utc_date(ns).to_string()),
        last_day: stats.last_ts_ns.map(|ns| utc_date(ns).to_string()),
        packets: stats.packets,
        malformed: stats.malformed,
        sensors: stats.sensors.keys().cloned().collect(),
        honeypot_events: stats.honeypot_events,
        version,
    })
}

/// The UTC day of the store's last packet, which ranges default to.
pub fn last_day(state: &ServeState) -> Result<Option<NaiveDate>, ApiError> {
    Ok(state.stats()?.last_ts_ns.map(utc_date))
}

/// One sensor of [`Sensors`].
#[derive(Serialize, ToSchema)]
pub struct Sensor {
    pub name: String,
    pub files: u64,
    pub packets: u64,
    pub malformed: u64,
    /// Time of its first and last packet (RFC 3339, UTC).
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Hours from its last packet to the newest packet of the store: a sensor far behind
    /// the others has gone silent.
    pub silent_hours: Option<f64>,
    /// Batches delivered through a collector, and when the last was committed.
    pub batches: u64,
    pub last_batch_at: Option<String>,
}

/// `GET /api/v1/sensors`.
#[derive(Serialize, ToSchema)]
pub struct Sensors {
    /// Time of the newest packet of the store.
    pub newest: Option<String>,
    pub sensors: Vec<Sensor>,
}

pub fn sensors(state: &ServeState) -> Result<Sensors, ApiError> {
    let stats = state.stats()?;
    let last_ts_ns = stats.last_ts_ns;
    let sensors = stats
        .sensors
        .iter()
        .map(|(name, s)| Sensor {
            name: name.clone(),
            files: s.files,
            packets: s.packets,
            malformed: s.malformed,
            first_seen: s.first_ts_ns.map(rfc3339),
            last_seen: s.last_ts_ns.map(rfc3339),
            silent_hours: s
                .last_ts_ns
                .zip(last_ts_ns)
                .map(|(own, newest)| ((newest - own) as f64 / 3.6e12 * 10.0).round() / 10.0),
            batches: s.batches,
            last_batch_at: s.last_batch_at.clone(),
        })
        .collect();
    Ok(Sensors {
        newest: last_ts_ns.map(rfc3339),
        sensors,
    })
}

fn utc_date(ns: i64) -> NaiveDate {
    DateTime::from_timestamp_nanos(ns).date_naive()
}

fn rfc3339(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::Secs, true)
}

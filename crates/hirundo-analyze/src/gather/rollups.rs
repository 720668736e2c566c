//! Where a report's sums come from. [`SqlRollups`] reads the store's rollup files with SQL
//! for every report, which suits a command that makes one report; a long-running server
//! keeps the rollups in memory and answers the same sums from there
//! (`hirundo_serve`'s cube), which is what makes a report of any range quick to ask for.

use std::collections::HashMap;
use std::net::IpAddr;

use hirundo_store::{AddressLookup, Reader};

use super::sources::sum_sources;
use super::traffic::{sum_traffic, watched_ports};
use super::{ints, texts, ReportError};
use crate::period::Period;
use crate::victims::BackscatterSample;

pub use super::sources::{SourceRows, SourceSums, SOURCE_COLUMNS};
pub use super::traffic::{Days, PortCountryDays, TrafficSums, WatchedPorts};
pub use super::{Fast, Pair, PortId};

/// The sums a report is made of. Each must give exactly what SQL over the rollups gives:
/// the report's tests hold both to the same figures.
pub trait Rollups: Sync {
    /// Every sum of the `traffic` rollup over the span's days.
    fn traffic(&self, days: &Days) -> Result<TrafficSums, ReportError>;

    /// Packets per day of the span of each of `ports`, per source country (`??` unknown),
    /// and their packets per tool in the current period.
    fn watched_ports(&self, days: &Days, ports: &[PortId]) -> Result<WatchedPorts, ReportError>;

    /// Distinct sources of both periods and per day of `current`, and each country's
    /// packets from research scanners in `current`, over UTC days (the `sources` rollup).
    fn sources(&self, previous: &Period, current: &Period) -> Result<SourceSums, ReportError>;

    /// Backscatter per second, victim and port in `[start, end)` (Unix seconds).
    fn backscatter(&self, start: i64, end: i64) -> Result<Vec<BackscatterSample>, ReportError>;

    /// The stored source country of each of `addrs` that has one.
    fn countries_of(&self, addrs: &[&str]) -> Result<HashMap<String, String>, ReportError>;
}

/// The rollups read with SQL through a store reader.
pub struct SqlRollups<'a> {
    pub reader: &'a Reader,
    /// The research-scanner registry.
    pub scanners: AddressLookup,
}

impl Rollups for SqlRollups<'_> {
    fn traffic(&self, days: &Days) -> Result<TrafficSums, ReportError> {
        sum_traffic(self.reader, days)
    }

    fn watched_ports(&self, days: &Days, ports: &[PortId]) -> Result<WatchedPorts, ReportError> {
        watched_ports(self.reader, days, ports)
    }

    fn sources(&self, previous: &Period, current: &Period) -> Result<SourceSums, ReportError> {
        sum_sources(self.reader, previous, current, &self.scanners)
    }

    fn backscatter(&self, start: i64, end: i64) -> Result<Vec<BackscatterSample>, ReportError> {
        let second = "CAST(second AS BIGINT)";
        let sql = format!(
            "SELECT {second}, src, CAST(coalesce(src_port, 0) AS BIGINT), \
             CAST(sum(packets) AS BIGINT) FROM backscatter \
             WHERE {second} >= {start} AND {second} < {end} GROUP BY 1, 2, 3"
        );
        let mut samples = Vec::new();
        for batch in self.reader.sql(&sql)? {
            let (seconds, victims, ports, packets) = (
                ints(&batch, 0)?,
                texts(&batch, 1)?,
                ints(&batch, 2)?,
                ints(&batch, 3)?,
            );
            for i in 0..batch.num_rows() {
                samples.push(BackscatterSample {
                    victim: victims[i].clone().unwrap_or_default(),
                    second: seconds[i],
                    packets: packets[i] as u64,
                    port: ports[i] as u16,
                });
            }
        }
        Ok(samples)
    }

    fn countries_of(&self, addrs: &[&str]) -> Result<HashMap<String, String>, ReportError> {
        let list: Vec<String> = addrs
            .iter()
            .filter(|a| a.parse::<IpAddr>().is_ok())
            .map(|a| format!("'{a}'"))
            .collect();
        if list.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT DISTINCT src, src_country FROM sources WHERE src IN ({}) \
             AND src_country IS NOT NULL",
            list.join(",")
        );
        let mut found = HashMap::new();
        for batch in self.reader.sql(&sql)? {
            let (addrs, countries) = (texts(&batch, 0)?, texts(&batch, 1)?);
            for (a, c) in addrs.into_iter().zip(countries) {
                if let (Some(a), Some(c)) = (a, c) {
                    found.insert(a, c);
                }
            }
        }
        Ok(found)
    }
}

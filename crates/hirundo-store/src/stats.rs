//! What a store holds, from the commit log alone (no data file is opened, so it is instant).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::log::{Commit, FileStatus};
use crate::{Store, StoreError};

/// Totals of a store.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Stats {
    pub commits: u64,
    pub files: u64,
    pub partial_files: u64,
    pub data_files: u64,
    pub data_bytes: u64,
    pub frames: u64,
    pub packets: u64,
    pub later_fragments: u64,
    pub malformed: u64,
    pub malformed_by_reason: BTreeMap<String, u64>,
    pub non_ip: u64,
    pub non_ip_by_kind: BTreeMap<String, u64>,
    pub unsupported_link: BTreeMap<String, u64>,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    pub sensors: BTreeMap<String, SensorStats>,
    /// Damaged files stored in part: path and the error that stopped reading.
    pub partial: Vec<(String, String)>,
    /// Geolocation databases that enriched the files, with how many files each.
    pub geoip: BTreeMap<String, u64>,
    /// ASN databases that enriched the files, with how many files each (files ingested
    /// without one are not counted).
    pub asn: BTreeMap<String, u64>,
    /// Rows of the `honeypot` table.
    pub honeypot_events: u64,
}

/// Per-sensor totals.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct SensorStats {
    pub files: u64,
    pub packets: u64,
    pub malformed: u64,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// Batches a live sensor delivered through a collector.
    pub batches: u64,
    /// When the collector committed the sensor's last batch (RFC 3339): a live sensor whose
    /// last batch is old has gone silent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_batch_at: Option<String>,
}

impl Store {
    /// Totals over every commit.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        Ok(Stats::from_commits(&self.commits()?))
    }
}

impl Stats {
    fn from_commits(commits: &[Commit]) -> Stats {
        let mut stats = Stats {
            commits: commits.len() as u64,
            ..Stats::default()
        };
        for commit in commits {
            stats.data_files += commit.add.len() as u64;
            stats.data_bytes += commit.add.iter().map(|a| a.bytes).sum::<u64>();
            let honeypot = format!("{}/", crate::HONEYPOT_TABLE);
            let events = commit.add.iter().filter(|a| a.path.starts_with(&honeypot));
            stats.honeypot_events += events.map(|a| a.rows).sum::<u64>();
            for file in &commit.files {
                stats.files += 1;
                stats.frames += file.frames;
                stats.packets += file.packets;
                stats.later_fragments += file.later_fragments;
                stats.malformed += file.malformed_total();
                stats.non_ip += file.non_ip.values().sum::<u64>();
                merge_counts(&mut stats.malformed_by_reason, &file.malformed);
                merge_counts(&mut stats.non_ip_by_kind, &file.non_ip);
                merge_counts(&mut stats.unsupported_link, &file.unsupported_link);
                widen(
                    &mut stats.first_ts_ns,
                    &mut stats.last_ts_ns,
                    file.first_ts_ns,
                    file.last_ts_ns,
                );
                if file.status == FileStatus::Partial {
                    stats.partial_files += 1;
                    stats
                        .partial
                        .push((file.path.clone(), file.error.clone().unwrap_or_default()));
                }
                let geoip = file
                    .geoip
                    .clone()
                    .unwrap_or_else(|| "none (ingested without enrichment)".into());
                *stats.geoip.entry(geoip).or_default() += 1;
                if let Some(asn) = &file.asn {
                    *stats.asn.entry(asn.clone()).or_default() += 1;
                }
                let sensor = stats.sensors.entry(file.sensor.clone()).or_default();
                sensor.files += 1;
                sensor.packets += file.packets;
                sensor.malformed += file.malformed_total();
                if file.format == hirundo_batch::FORMAT {
                    sensor.batches += 1;
                    sensor.last_batch_at = Some(commit.committed_at.clone());
                }
                widen(
                    &mut sensor.first_ts_ns,
                    &mut sensor.last_ts_ns,
                    file.first_ts_ns,
                    file.last_ts_ns,
                );
            }
        }
        stats
    }
}

fn merge_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_default() += n;
    }
}

fn widen(first: &mut Option<i64>, last: &mut Option<i64>, lo: Option<i64>, hi: Option<i64>) {
    *first = match (*first, lo) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    *last = match (*last, hi) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}

//! `hirundo stats` as text for people.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use hirundo_store::Stats;
use serde::Serialize;

/// A live sensor that has sent nothing for longer than the threshold.
#[derive(Debug, Serialize)]
pub struct Silent {
    pub sensor: String,
    pub last_batch_at: String,
    pub silent_seconds: i64,
}

/// The live sensors (those that delivered batches) whose last batch is older than `after`.
pub fn silent_sensors(s: &Stats, after: std::time::Duration, now: DateTime<Utc>) -> Vec<Silent> {
    let limit = chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX);
    s.sensors
        .iter()
        .filter_map(|(name, sensor)| {
            let last = sensor.last_batch_at.as_deref()?;
            let silent = now - DateTime::parse_from_rfc3339(last).ok()?.with_timezone(&Utc);
            (silent > limit).then(|| Silent {
                sensor: name.clone(),
                last_batch_at: last.to_owned(),
                silent_seconds: silent.num_seconds(),
            })
        })
        .collect()
}

fn time(ns: Option<i64>) -> String {
    ns.and_then(|ns| {
        chrono::DateTime::from_timestamp_nanos(ns)
            .to_rfc3339()
            .into()
    })
    .unwrap_or_else(|| "-".into())
}

/// Renders the store's totals, sensors and damaged files.
pub fn render(s: &Stats, silent: &[Silent]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "files ingested    {} ({} partial)",
        s.files, s.partial_files
    );
    let _ = writeln!(out, "commits           {}", s.commits);
    let _ = writeln!(
        out,
        "data files        {} ({} bytes)",
        s.data_files, s.data_bytes
    );
    let _ = writeln!(out, "frames read       {}", s.frames);
    let _ = writeln!(
        out,
        "packets stored    {} ({} later fragments)",
        s.packets, s.later_fragments
    );
    let _ = writeln!(out, "malformed frames  {}", s.malformed);
    for (reason, n) in &s.malformed_by_reason {
        let _ = writeln!(out, "  {reason:<30} {n}");
    }
    let _ = writeln!(out, "non-IP frames     {}", s.non_ip);
    for (kind, n) in &s.non_ip_by_kind {
        let _ = writeln!(out, "  {kind:<30} {n}");
    }
    for (kind, n) in &s.unsupported_link {
        let _ = writeln!(out, "unsupported link  {kind:<24} {n}");
    }
    let _ = writeln!(
        out,
        "date range        {} .. {}",
        time(s.first_ts_ns),
        time(s.last_ts_ns)
    );
    for (db, files) in &s.geoip {
        let _ = writeln!(out, "geolocation       {db} ({files} files)");
    }
    for (db, files) in &s.asn {
        let _ = writeln!(out, "autonomous sys.   {db} ({files} files)");
    }
    let _ = writeln!(out, "sensors           {}", s.sensors.len());
    for (name, sensor) in &s.sensors {
        let _ = writeln!(
            out,
            "  {name:<16} {:>12} packets {:>6} files  {} .. {}",
            sensor.packets,
            sensor.files,
            time(sensor.first_ts_ns),
            time(sensor.last_ts_ns)
        );
        if let Some(last) = &sensor.last_batch_at {
            let _ = writeln!(
                out,
                "  {:<16} live: {} batches, last at {last}",
                "", sensor.batches
            );
        }
    }
    let _ = writeln!(out, "honeypot events   {}", s.honeypot_events);
    for s in silent {
        let _ = writeln!(
            out,
            "SILENT: sensor {} sent nothing for {} (last batch at {})",
            s.sensor,
            humantime::format_duration(std::time::Duration::from_secs(
                s.silent_seconds.max(0) as u64
            )),
            s.last_batch_at
        );
    }
    for (path, error) in &s.partial {
        let _ = writeln!(out, "partial: {path}: {error}");
    }
    out
}

//! `hirundo ingest`: one line per problem, the rest ingested, non-zero exit if any file failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use hirundo_geo::GeoDb;
use hirundo_ingest::{discover, ingest_file, Enricher, FileReport, Outcome, SensorRule};
use hirundo_store::Store;

use crate::progress::IngestProgress;

#[derive(Args)]
pub struct IngestArgs {
    /// Capture files and directories (walked recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Sensor name for every file.
    #[arg(long, conflicts_with = "sensor_from_dir", default_value = "default")]
    sensor: String,
    /// Every file under ROOT/<sensor>/ belongs to sensor <sensor>.
    #[arg(long, value_name = "ROOT")]
    sensor_from_dir: Option<PathBuf>,
    /// Write the outcome of every file as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// MaxMind-format country or city database for `src_country` (GeoLite2, DB-IP, ...);
    /// default: the embedded geo-whois-asn-country database.
    #[arg(long, value_name = "FILE", env = "HIRUNDO_GEOIP")]
    geoip: Option<PathBuf>,
}

pub fn run(db: &Path, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let rule = match &args.sensor_from_dir {
        Some(root) => SensorRule::FromDir(root.clone()),
        None => SensorRule::Fixed(args.sensor.clone()),
    };
    let geo = match &args.geoip {
        Some(path) => GeoDb::open(path)?,
        None => GeoDb::embedded(),
    };
    ingest_paths(db, &args.paths, &rule, args.summary_json.as_deref(), geo)
}

/// Ingests `paths` into the store at `db`: one line per problem, a log line with the rate.
pub fn ingest_paths(
    db: &Path,
    paths: &[PathBuf],
    rule: &SensorRule,
    summary_json: Option<&Path>,
    geo: GeoDb,
) -> anyhow::Result<ExitCode> {
    let store = Store::open(db).with_context(|| format!("opening store {}", db.display()))?;
    let (inputs, problems) = discover(paths, rule);
    for problem in &problems {
        eprintln!("hirundo: {problem}");
    }
    let mut enricher = Enricher::new(geo);
    let progress = IngestProgress::new(inputs.len() as u64);
    let started = Instant::now();
    let mut reports = Vec::with_capacity(inputs.len());
    for input in &inputs {
        progress.start_file(&input.path);
        let report = ingest_file(&store, input, &mut enricher, &progress);
        progress.finish_file(&report);
        reports.push(report);
    }
    progress.finish();
    let packets: u64 = reports.iter().map(stored_packets).sum();
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        files = reports.len(),
        packets,
        seconds = format!("{seconds:.2}"),
        packets_per_second = format!("{:.0}", packets as f64 / seconds.max(1e-9)),
        "ingest finished"
    );
    if let Some(path) = summary_json {
        let json = serde_json::to_vec_pretty(&reports)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    let failed = !problems.is_empty() || reports.iter().any(FileReport::is_failure);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn stored_packets(report: &FileReport) -> u64 {
    match report.outcome {
        Outcome::Ingested { packets, .. } | Outcome::Partial { packets, .. } => packets,
        _ => 0,
    }
}

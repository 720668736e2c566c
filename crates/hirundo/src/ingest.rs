//! `hirundo ingest`: one line per problem, the rest ingested, non-zero exit if any file failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use hirundo_geo::{AsnDb, GeoDb};
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
    #[command(flatten)]
    enrich: EnrichArgs,
}

/// How packets are labelled: shared by `ingest` and `collector`.
#[derive(Args)]
pub struct EnrichArgs {
    /// MaxMind-format country or city database for `src_country` (GeoLite2, DB-IP, ...);
    /// default: the embedded geo-whois-asn-country database.
    #[arg(long, value_name = "FILE", env = "HIRUNDO_GEOIP")]
    geoip: Option<PathBuf>,
    /// Source autonomous systems for `src_asn` and `src_as_name`: a MaxMind-format ASN
    /// database (GeoLite2-ASN, DB-IP ASN) or ip-location-db's ASN CSV (`asn-ipv4.csv`,
    /// `asn-ipv6.csv`), converted once and cached under $XDG_CACHE_HOME/hirundo.
    #[arg(long, value_name = "FILE", env = "HIRUNDO_ASN")]
    asn: Option<PathBuf>,
    /// Store no labels (src_country, src_asn, src_as_name, service, traffic_kind, tool stay
    /// NULL): measures what enrichment costs, or saves it when labels are not wanted.
    #[arg(long, conflicts_with_all = ["geoip", "asn"])]
    no_enrich: bool,
}

pub fn run(db: &Path, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let rule = match &args.sensor_from_dir {
        Some(root) => SensorRule::FromDir(root.clone()),
        None => SensorRule::Fixed(args.sensor.clone()),
    };
    ingest_paths(
        db,
        &args.paths,
        &rule,
        args.summary_json.as_deref(),
        args.enrich.enricher()?,
    )
}

impl EnrichArgs {
    /// The enricher the options ask for; None with `--no-enrich`.
    pub fn enricher(&self) -> anyhow::Result<Option<Enricher>> {
        if self.no_enrich {
            return Ok(None);
        }
        self.open().map(Some)
    }

    fn open(&self) -> anyhow::Result<Enricher> {
        let geo = match &self.geoip {
            Some(path) => GeoDb::open(path)?,
            None => GeoDb::embedded(),
        };
        let enricher = Enricher::new(geo).context("reading the geolocation database")?;
        Ok(match &self.asn {
            Some(path) => enricher.with_asn(AsnDb::open(path, cache_dir().as_deref())?),
            None => enricher,
        })
    }
}

/// Where converted databases are kept: $XDG_CACHE_HOME/hirundo, else ~/.cache/hirundo.
fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("hirundo"))
}

/// Ingests `paths` into the store at `db`: one line per problem, a log line with the rate.
pub fn ingest_paths(
    db: &Path,
    paths: &[PathBuf],
    rule: &SensorRule,
    summary_json: Option<&Path>,
    enricher: Option<Enricher>,
) -> anyhow::Result<ExitCode> {
    let store = Store::open(db).with_context(|| format!("opening store {}", db.display()))?;
    let (inputs, problems) = discover(paths, rule);
    for problem in &problems {
        eprintln!("hirundo: {problem}");
    }
    let enricher = enricher.map(std::sync::Arc::new);
    let progress = IngestProgress::new(inputs.len() as u64);
    let started = Instant::now();
    let mut reports = Vec::with_capacity(inputs.len());
    for input in &inputs {
        progress.start_file(&input.path);
        let report = ingest_file(&store, input, enricher.as_ref(), &progress);
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

//! `hirundo collector`: receive the sensors' batches and store them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use hirundo_collector::CollectorConfig;

use crate::config_file::{self, path, Overrides};
use crate::ingest::EnrichArgs;

#[derive(Args)]
pub struct CollectorArgs {
    /// TOML file with the same keys as the long options (listen, tls-cert, ...); options
    /// given here win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// HTTPS address to listen on, e.g. 0.0.0.0:8443.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// PEM certificate chain of the collector.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of the collector.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Sensors file: `NAME SHA256-OF-TOKEN [revoked]` per line; re-read when it changes.
    #[arg(long, value_name = "FILE")]
    sensors: Option<PathBuf>,
    /// Also serve /metrics over plain HTTP here.
    #[arg(long, value_name = "ADDR:PORT")]
    metrics: Option<String>,
    /// Refuse batches larger than this [default: 64 MiB].
    #[arg(long, value_name = "BYTES")]
    max_batch_bytes: Option<i64>,
    /// Write a group commit once this many records wait [default: 1048576]...
    #[arg(long, value_name = "N")]
    commit_records: Option<i64>,
    /// ...or this many milliseconds after its first batch [default: 0, as soon as the writer
    /// is free].
    #[arg(long, value_name = "MS")]
    commit_ms: Option<i64>,
    #[command(flatten)]
    enrich: EnrichArgs,
}

pub fn run(db: &Path, args: CollectorArgs) -> anyhow::Result<ExitCode> {
    let mut o = Overrides::default();
    o.set("listen", args.listen.clone())
        .set("tls-cert", path(&args.tls_cert))
        .set("tls-key", path(&args.tls_key))
        .set("sensors", path(&args.sensors))
        .set("metrics", args.metrics.clone())
        .set("max-batch-bytes", args.max_batch_bytes)
        .set("commit-records", args.commit_records)
        .set("commit-ms", args.commit_ms);
    let config: CollectorConfig = config_file::load(args.config.as_deref(), o)?;
    hirundo_collector::run(db, config, args.enrich.enricher()?)?;
    Ok(ExitCode::SUCCESS)
}

//! `hirundo demo`: the main job on a fresh machine. It generates a synthetic darknet day,
//! ingests it and shows what an analyst asks first. Later issues grow it into the full
//! quarterly report and dashboard.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hirundo_ingest::SensorRule;
use hirundo_store::{OutputFormat, Store};

#[derive(Args)]
pub struct DemoArgs {
    /// Working directory for the generated captures and the store.
    #[arg(long, default_value = "hirundo-demo")]
    dir: PathBuf,
    /// Packets in the synthetic day.
    #[arg(long, default_value_t = 1_000_000)]
    packets: u64,
}

const TOP_PORTS: &str = "SELECT CASE protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' END AS proto, \
    dst_port, count(*) AS packets, count(DISTINCT src) AS sources \
    FROM packets WHERE dst_port IS NOT NULL GROUP BY 1, 2 ORDER BY packets DESC LIMIT 10";

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let captures = args.dir.join("captures");
    let sensor_dir = captures.join("tokyo-1");
    std::fs::create_dir_all(&sensor_dir).with_context(|| format!("creating {}", sensor_dir.display()))?;
    let capture = sensor_dir.join("2019-10-01.pcap");
    if !capture.exists() {
        crate::bench::run(crate::bench::BenchCommand::Synth { packets: args.packets, seed: 1, out: capture })?;
    }
    let db = args.dir.join("db");
    let rule = SensorRule::FromDir(captures.clone());
    let code = crate::ingest::ingest_paths(&db, &[captures], &rule, None)?;
    let store = Store::open(&db)?;
    print!("{}", crate::stats::render(&store.stats()?));
    println!("\nTop destination ports ({TOP_PORTS}):");
    hirundo_store::print_batches(&store.query(TOP_PORTS)?, OutputFormat::Table, &mut std::io::stdout().lock())?;
    println!("\nExplore further: hirundo --db {} query \"SELECT ...\"", db.display());
    Ok(code)
}

//! `hirundo demo`: the main job on a fresh machine. It simulates the built-in scenario (two
//! quarters, two sensors, planted events), ingests it and shows what an analyst asks first.
//! Later issues grow it into the full quarterly report and dashboard.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hirundo_ingest::SensorRule;
use hirundo_store::{OutputFormat, Store};

#[derive(Args)]
pub struct DemoArgs {
    /// Working directory for the simulated captures and the store.
    #[arg(long, default_value = "hirundo-demo")]
    dir: PathBuf,
    /// Volume of the built-in scenario (1 = 50,000 probes per sensor per day).
    #[arg(long, default_value_t = 0.2)]
    scale: f64,
}

const TOP_PORTS: &str = "SELECT CASE protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' END AS proto, \
    dst_port, count(*) AS packets, count(DISTINCT src) AS sources \
    FROM packets WHERE dst_port IS NOT NULL GROUP BY 1, 2 ORDER BY packets DESC LIMIT 10";

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let captures = args.dir.join("captures");
    if !captures.join("truth.json").exists() {
        let simulate =
            crate::simulate::SimulateArgs::default_scenario(captures.clone(), args.scale);
        crate::simulate::run(simulate)?;
    }
    let db = args.dir.join("db");
    let rule = SensorRule::FromDir(captures.clone());
    let code = crate::ingest::ingest_paths(
        &db,
        &[captures.clone()],
        &rule,
        None,
        Some(hirundo_ingest::Enricher::new(
            hirundo_geo::GeoDb::embedded(),
        )?),
    )?;
    let store = Store::open(&db)?;
    print!("{}", crate::stats::render(&store.stats()?));
    println!("\nTop destination ports ({TOP_PORTS}):");
    hirundo_store::print_batches(
        &store.query(TOP_PORTS)?,
        OutputFormat::Table,
        &mut std::io::stdout().lock(),
    )?;
    println!(
        "\nWhat was planted: {}",
        captures.join("truth.json").display()
    );
    println!(
        "Explore further: hirundo --db {} query \"SELECT ...\"",
        db.display()
    );
    Ok(code)
}

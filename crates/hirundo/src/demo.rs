//! `hirundo demo`: the main job on a fresh machine. It simulates the built-in scenario (two
//! quarters, two sensors, planted events), ingests it and writes the quarterly report of the
//! second quarter in every format and both languages, then serves the dashboard on the store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use hirundo_ingest::SensorRule;
use hirundo_store::Store;

/// The built-in scenario's second quarter: its first is the previous period.
const DEMO_PERIOD: &str = "2026Q3";
/// The built-in scenario's sensors are in Japan.
const DEMO_ZONE: &str = "Asia/Tokyo";

#[derive(Args)]
pub struct DemoArgs {
    /// Working directory for the simulated captures and the store.
    #[arg(long, default_value = "hirundo-demo")]
    dir: PathBuf,
    /// Volume of the built-in scenario (1 = 50,000 probes per sensor per day).
    #[arg(long, default_value_t = 0.2)]
    scale: f64,
    /// Where the dashboard of the demo store listens at the end.
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: std::net::SocketAddr,
    /// Stop after the report instead of serving the dashboard.
    #[arg(long)]
    no_serve: bool,
}

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
        std::slice::from_ref(&captures),
        &rule,
        None,
        Some(hirundo_ingest::Enricher::new(
            hirundo_geo::GeoDb::embedded(),
        )?),
    )?;
    let store = Store::open(&db)?;
    print!("{}", crate::stats::render(&store.stats()?, &[]));
    let out = args.dir.join("report");
    crate::report::write_demo_report(&db, DEMO_PERIOD, DEMO_ZONE, &out)?;
    println!("\nThe report of {DEMO_PERIOD} ({DEMO_ZONE} days), in English and Japanese:");
    for name in [
        "report.en.html",
        "report.ja.html",
        "report.en.md",
        "report.ja.md",
        "report.json",
    ] {
        println!("  {}", out.join(name).display());
    }
    println!(
        "What was planted: {}",
        captures.join("truth.json").display()
    );
    println!(
        "Explore further: hirundo --db {} report --period 2026Q2 --tz {DEMO_ZONE} --format md",
        db.display()
    );
    if !args.no_serve {
        println!();
        crate::serve::run(&db, crate::serve::ServeArgs::demo(args.listen))?;
    }
    Ok(code)
}

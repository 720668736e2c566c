//! `hirundo simulate`: realistic darknet captures with planted ground truth.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use hirundo_geo::GeoDb;
use hirundo_sim::{simulate, Geography, Scenario, SimulateOptions, DEFAULT_SCENARIO};

#[derive(Args)]
pub struct SimulateArgs {
    /// Scenario file (TOML), or `default` for the built-in one.
    #[arg(long, default_value = "default")]
    scenario: String,
    /// Output directory: `<sensor>/` capture files and `truth.json`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of every random choice (replaces the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Multiplies every daily volume (0.01 for a quick test, 10 for a benchmark).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Print the built-in scenario, to copy and edit, and exit.
    #[arg(long)]
    print_default_scenario: bool,
}

impl SimulateArgs {
    /// The built-in scenario into `out` at `scale`.
    pub fn default_scenario(out: PathBuf, scale: f64) -> Self {
        SimulateArgs {
            scenario: "default".into(),
            out: Some(out),
            seed: None,
            scale,
            print_default_scenario: false,
        }
    }
}

pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if args.print_default_scenario {
        print!("{DEFAULT_SCENARIO}");
        return Ok(ExitCode::SUCCESS);
    }
    let out = args.out.context("--out is required")?;
    let geography = Geography::new(GeoDb::embedded())?;
    let (text, origin) = if args.scenario == "default" {
        (DEFAULT_SCENARIO.to_owned(), "default scenario".to_owned())
    } else {
        let text = std::fs::read_to_string(&args.scenario)
            .with_context(|| format!("reading {}", args.scenario))?;
        (text, args.scenario.clone())
    };
    let scenario = Scenario::parse(&text, &origin, &|c| geography.knows(c))?;
    let options = SimulateOptions {
        out: out.clone(),
        seed: args.seed,
        scale: args.scale,
    };
    let started = Instant::now();
    let files = scenario.sensors.len() * scenario.days().count();
    let progress = crate::progress::Bar::new(files as u64, "files");
    let truth = simulate(&scenario, &geography, &options, &mut |file| {
        progress.advance(1, &format!("{}: {} frames", file.path, file.counts.frames));
    })?;
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    let frames = truth.totals.counts.frames;
    tracing::info!(
        "{}: {} files, {} frames ({} IP packets) in {:.1} s, {:.2} M frames/s; ground truth in {}",
        out.display(),
        truth.files.len(),
        frames,
        truth.totals.counts.ip_packets,
        seconds,
        frames as f64 / seconds.max(1e-9) / 1e6,
        out.join("truth.json").display()
    );
    Ok(ExitCode::SUCCESS)
}

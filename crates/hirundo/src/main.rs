//! The `hirundo` command: parses arguments and wires the library crates together.

mod bench;
mod collector;
mod config_file;
mod demo;
mod honeypot;
mod ingest;
mod progress;
mod report;
mod scanners;
mod sensor;
mod serve;
mod simulate;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hirundo_store::{OutputFormat, Store};

#[derive(Parser)]
#[command(
    name = "hirundo",
    version,
    about = "Darknet observation: from raw packets to the published report"
)]
struct Cli {
    /// The store directory.
    #[arg(long, global = true, env = "HIRUNDO_DB", default_value = "hirundo-db")]
    db: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Store the packets of capture files (pcap, pcapng; gzip or zstd compressed) and directories.
    Ingest(ingest::IngestArgs),
    /// Run SQL over the store (tables: packets, traffic, sources, backscatter, honeypot, files, frame_counts, scanners; research_scanner(src)).
    Query {
        /// One SQL statement.
        sql: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        scanners: scanners::ScannersFile,
    },
    /// Show what the store holds: sensors, date range, packets, malformed frames, files.
    Stats {
        #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
        format: StatsFormat,
        /// A live sensor whose last batch is older than this has gone silent (e.g. 15m, 2h).
        #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
        silent_after: std::time::Duration,
    },
    /// The periodic report: rankings, events, focus ports, scanners, fingerprints, victims.
    Report(report::ReportArgs),
    /// Benchmarks: synthetic captures and single-core decoding rates.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Write realistic darknet captures from a scenario, with the planted ground truth.
    Simulate(simulate::SimulateArgs),
    /// The main job on a fresh machine: synthesise a darknet day, ingest it, show the top ports.
    Demo(demo::DemoArgs),
    /// Research scanners: the registry that attributes sources, and a probe for new ones.
    #[command(subcommand)]
    Scanners(scanners::ScannersCommand),
    /// Capture a darknet and deliver its packets to the collector (store-and-forward).
    Sensor(sensor::SensorArgs),
    /// Make a sensor's token and print its line for the collector's sensors file.
    SensorToken(sensor::TokenArgs),
    /// Receive the sensors' batches over HTTPS and write them into the store (--db).
    Collector(collector::CollectorArgs),
    /// MSSQL and telnet honeypot: record logins and commands into the store (--db).
    Honeypot(honeypot::HoneypotArgs),
    /// The HTTP API (OpenAPI at /openapi.json) and the web dashboard over the store (--db).
    Serve(serve::ServeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatsFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hirundo: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Ingest(args) => ingest::run(&cli.db, args),
        Command::Query {
            sql,
            format,
            scanners,
        } => {
            let store = Store::open(&cli.db)?;
            let scanner_sql = scanners::sql_extensions(&scanners)?;
            let batches = store.query_with(&sql, &scanner_sql.functions, scanner_sql.tables)?;
            let format = match format {
                Format::Table => OutputFormat::Table,
                Format::Csv => OutputFormat::Csv,
                Format::Json => OutputFormat::Json,
            };
            hirundo_store::print_batches(&batches, format, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => report::run(&cli.db, args).map(|()| ExitCode::SUCCESS),
        Command::Bench(command) => bench::run(command).map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => demo::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Scanners(command) => scanners::run(command),
        Command::Sensor(args) => sensor::run(args),
        Command::SensorToken(args) => sensor::token(args),
        Command::Collector(args) => collector::run(&cli.db, args),
        Command::Honeypot(args) => honeypot::run(&cli.db, args),
        Command::Serve(args) => serve::run(&cli.db, args),
        Command::Stats {
            format,
            silent_after,
        } => {
            let stats = Store::open(&cli.db)?.stats()?;
            let silent = stats::silent_sensors(&stats, silent_after, chrono::Utc::now());
            match format {
                StatsFormat::Text => print!("{}", stats::render(&stats, &silent)),
                StatsFormat::Json => {
                    let mut json = serde_json::to_value(&stats)?;
                    json["silent_sensors"] = serde_json::to_value(&silent)?;
                    println!("{}", serde_json::to_string_pretty(&json)?)
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs go to stderr through `tracing`; `RUST_LOG` chooses the level (default info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

//! The `hirundo` command: parses arguments and wires the library crates together.

mod bench;
mod demo;
mod ingest;
mod progress;
mod report;
mod scanners;
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
    /// Run SQL over the store (tables: packets, files, frame_counts, scanners; research_scanner(src)).
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
        Command::Stats { format } => {
            let stats = Store::open(&cli.db)?.stats()?;
            match format {
                StatsFormat::Text => print!("{}", stats::render(&stats)),
                StatsFormat::Json => println!("{}", serde_json::to_string_pretty(&stats)?),
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

//! `hirundo scanners list|probe` and the research-scanner attribution that `hirundo query`
//! gets: `research_scanner(src)` and the `scanners` table, from `--scanners FILE` or the
//! built-in list.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use hirundo_scanners::{NewRow, ProbeConfig, ProbeReport, Registry, Verdict};

use hirundo_store::{AddressLookup, TextTable};

/// Which registry of research scanners to use.
#[derive(Args, Clone, Debug)]
pub struct ScannersFile {
    /// Research scanners as CSV `cidr,name[,url]` instead of the built-in list (docs/SCANNERS.md).
    #[arg(long = "scanners", env = "HIRUNDO_SCANNERS", value_name = "FILE")]
    pub path: Option<PathBuf>,
}

impl ScannersFile {
    pub fn load(&self) -> anyhow::Result<Registry> {
        Ok(match &self.path {
            Some(path) => Registry::load(path)?,
            None => Registry::builtin(),
        })
    }
}

#[derive(Subcommand)]
pub enum ScannersCommand {
    /// Print the registry: network or reverse-DNS suffix, organisation, URL.
    List {
        #[command(flatten)]
        scanners: ScannersFile,
        /// `csv` prints a file that --scanners reads back: a start for your own list.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Look up PTR records and read http(s)://ADDRESS/ for a page declaring research scanning.
    Probe(ProbeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Text,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ProbeFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct ProbeArgs {
    /// Addresses to probe (IPv4 or IPv6).
    #[arg(required = true, value_name = "ADDRESS")]
    addresses: Vec<IpAddr>,
    /// DNS server for PTR lookups [default: the first nameserver of /etc/resolv.conf].
    #[arg(long, value_name = "ADDR:PORT")]
    dns: Option<SocketAddr>,
    #[arg(long, default_value_t = 80, value_name = "N")]
    http_port: u16,
    #[arg(long, default_value_t = 443, value_name = "N")]
    https_port: u16,
    /// Seconds allowed for the DNS answer and for each page.
    #[arg(long, default_value_t = 3.0, value_name = "SECS")]
    timeout: f64,
    /// Append the confirmed research scanners to this CSV (created if missing) as ADDRESS/32
    /// or /128 rows, unless the file already covers them.
    #[arg(long, value_name = "FILE")]
    append: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ProbeFormat::Text)]
    format: ProbeFormat,
    /// The registry consulted for names (listed networks, reverse-DNS suffixes).
    #[command(flatten)]
    scanners: ScannersFile,
}

/// How many addresses are probed at once; each probe runs three lookups of its own.
const PARALLEL_PROBES: usize = 8;

pub fn run(command: ScannersCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScannersCommand::List { scanners, format } => {
            list(&scanners.load()?, format);
            Ok(ExitCode::SUCCESS)
        }
        ScannersCommand::Probe(args) => probe(args),
    }
}

/// What `hirundo query` adds to SQL: `research_scanner(src)` and the table `scanners`.
pub struct ScannerSql {
    pub functions: Vec<(&'static str, AddressLookup)>,
    pub tables: Vec<TextTable<'static>>,
}

pub fn sql_extensions(scanners: &ScannersFile) -> anyhow::Result<ScannerSql> {
    let registry = Arc::new(scanners.load()?);
    let rows = registry
        .entries()
        .iter()
        .map(|e| {
            let network = Some(e.target.to_string());
            vec![network, Some(e.name.to_string()), e.url.clone()]
        })
        .collect();
    let lookup: AddressLookup = Arc::new(move |addr| registry.lookup(addr).map(|e| e.name.clone()));
    Ok(ScannerSql {
        functions: vec![("research_scanner", lookup)],
        tables: vec![("scanners", &["network", "name", "url"], rows)],
    })
}

fn list(registry: &Registry, format: ListFormat) {
    match format {
        ListFormat::Csv => {
            println!(
                "# {} rows from {}",
                registry.entries().len(),
                registry.file()
            );
            println!("cidr,name,url");
            for e in registry.entries() {
                println!(
                    "{}",
                    csv_line(&[
                        &e.target.to_string(),
                        &e.name,
                        e.url.as_deref().unwrap_or("")
                    ])
                );
            }
        }
        ListFormat::Text => {
            println!("{} ({} rows)", registry.file(), registry.entries().len());
            for e in registry.entries() {
                let url = e.url.as_deref().unwrap_or("");
                println!("{:<28} {:<34} {url}", e.target.to_string(), e.name);
            }
        }
    }
}

/// One CSV line, quoting fields that need it.
fn csv_line(fields: &[&str]) -> String {
    let quote = |f: &&str| {
        if f.contains([',', '"', '\n']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    };
    fields.iter().map(quote).collect::<Vec<_>>().join(",")
}

/// Exit status: success when anything answered for at least one address; failure when every
/// address was unreachable (no web server, no PTR name), which usually means the probing
/// machine is offline or the DNS server is wrong rather than that all of them are silent.
fn probe(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let registry = args.scanners.load()?;
    if !(args.timeout > 0.0 && args.timeout <= 600.0) {
        bail!("--timeout must be between 0 and 600 seconds");
    }
    let defaults = ProbeConfig::default();
    let config = ProbeConfig {
        dns_server: args.dns.or(defaults.dns_server),
        http_port: args.http_port,
        https_port: args.https_port,
        timeout: Duration::from_secs_f64(args.timeout),
        ..defaults
    };
    let reports = probe_all(&args.addresses, &config, &registry);
    match args.format {
        ProbeFormat::Text => reports.iter().for_each(|r| print!("{}", render(r))),
        ProbeFormat::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
    }
    if let Some(path) = &args.append {
        append_confirmed(path, &reports)?;
    }
    let all_unreachable = reports.iter().all(|r| r.verdict == Verdict::Unreachable);
    Ok(if all_unreachable {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn probe_all(addresses: &[IpAddr], config: &ProbeConfig, registry: &Registry) -> Vec<ProbeReport> {
    let mut reports = Vec::with_capacity(addresses.len());
    for chunk in addresses.chunks(PARALLEL_PROBES) {
        std::thread::scope(|s| {
            let running: Vec<_> = chunk
                .iter()
                .map(|&a| s.spawn(move || hirundo_scanners::probe(a, config, registry)))
                .collect();
            reports.extend(running.into_iter().map(|h| h.join().expect("probe thread")));
        });
    }
    reports
}

fn render(report: &ProbeReport) -> String {
    let mut out = format!("{}: {}", report.address, report.verdict);
    if let Some(org) = &report.organisation {
        out.push_str(&format!(" ({org})"));
    }
    out.push('\n');
    for line in &report.evidence {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// Appends the confirmed addresses that `path` does not already attribute.
fn append_confirmed(path: &Path, reports: &[ProbeReport]) -> anyhow::Result<()> {
    let existing = match path.exists() {
        true => Some(Registry::load(path)?),
        false => None,
    };
    let rows: Vec<NewRow> = reports
        .iter()
        .filter(|r| r.verdict == Verdict::Confirmed)
        .filter(|r| {
            existing
                .as_ref()
                .is_none_or(|e| e.lookup(r.address).is_none())
        })
        .map(|r| NewRow {
            network: r.address.into(),
            name: r
                .organisation
                .clone()
                .unwrap_or_else(|| r.address.to_string()),
            url: r.declaration_url.clone(),
        })
        .collect();
    if rows.is_empty() {
        eprintln!("{}: nothing new to append", path.display());
        return Ok(());
    }
    let today = chrono::Local::now().format("%Y-%m-%d");
    let comment = format!("confirmed by `hirundo scanners probe` on {today}");
    hirundo_scanners::append_rows(path, &comment, &rows)
        .with_context(|| format!("appending to {}", path.display()))?;
    eprintln!("{}: appended {} row(s)", path.display(), rows.len());
    Ok(())
}

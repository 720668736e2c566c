//! `hirundo report`: the periodic report of a store, as JSON, Markdown or HTML.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use hirundo_analyze::gather::{build_report, ReportOptions};
use hirundo_analyze::model::Report;
use hirundo_analyze::period::Period;
use hirundo_report::Lang;
use hirundo_store::Store;

#[derive(Args)]
pub struct ReportArgs {
    /// Period: quarter `2019Q4`, month `2019-11` or ISO week `2019-W47` (or --from/--to).
    #[arg(long, required_unless_present = "from", conflicts_with = "from")]
    period: Option<String>,
    /// First day of a custom period (with --to).
    #[arg(long, requires = "to")]
    from: Option<NaiveDate>,
    /// Last day of a custom period, inclusive.
    #[arg(long, requires = "from")]
    to: Option<NaiveDate>,
    /// IANA time zone whose midnights cut the days.
    #[arg(long, default_value = "UTC")]
    tz: String,
    #[command(flatten)]
    scanners: crate::scanners::ScannersFile,
    /// The home country (ISO 3166 code) whose rank among each surging port's sources is shown.
    #[arg(long)]
    home: Option<String>,
    /// Language of Markdown and HTML.
    #[arg(long, default_value = "en", value_parser = Lang::from_str)]
    lang: Lang,
    /// What to print on stdout (without --out).
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    format: ReportFormat,
    /// Write every format in both languages, and the charts, into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Rows of the port and country rankings.
    #[arg(long, default_value_t = 20)]
    top: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Json,
    Md,
    Html,
}

pub fn run(db: &Path, args: ReportArgs) -> anyhow::Result<()> {
    let report = make_report(db, &args)?;
    match &args.out {
        Some(dir) => {
            let written = hirundo_report::write_all(&report, dir)?;
            tracing::info!(files = written.len(), "report written to {}", dir.display());
            for path in written {
                println!("{}", path.display());
            }
        }
        None => print!("{}", render(&report, args.format, args.lang)?),
    }
    Ok(())
}

/// The demo's report: the built-in scanner list, `JP` as home, every format into `out`.
pub fn write_demo_report(db: &Path, period: &str, zone: &str, out: &Path) -> anyhow::Result<()> {
    let args = ReportArgs {
        period: Some(period.into()),
        from: None,
        to: None,
        tz: zone.into(),
        scanners: crate::scanners::ScannersFile { path: None },
        home: Some("JP".into()),
        lang: Lang::En,
        format: ReportFormat::Json,
        out: Some(out.to_path_buf()),
        top: 20,
    };
    let report = make_report(db, &args)?;
    hirundo_report::write_all(&report, out)?;
    Ok(())
}

fn make_report(db: &Path, args: &ReportArgs) -> anyhow::Result<Report> {
    let period = match (&args.period, args.from, args.to) {
        (Some(label), _, _) => Period::parse(label)?,
        (None, Some(from), Some(to)) => Period::custom(from, to)?,
        _ => anyhow::bail!("give --period, or --from and --to"),
    };
    let time_zone = args
        .tz
        .parse()
        .map_err(|_| anyhow::anyhow!("--tz {}: not an IANA time zone name", args.tz))?;
    let scanners = crate::scanners::sql_extensions(&args.scanners)?;
    let options = ReportOptions::standard(
        period,
        time_zone,
        args.home.clone(),
        scanners.functions[0].1.clone(),
        args.top,
    );
    let store = Store::open(db).with_context(|| format!("opening the store {}", db.display()))?;
    let started = std::time::Instant::now();
    let report = build_report(&store, &options)?;
    tracing::info!(
        seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
        packets = report.totals.packets,
        events = report.events.len(),
        "report {} built",
        report.period.label
    );
    Ok(report)
}

fn render(report: &Report, format: ReportFormat, lang: Lang) -> anyhow::Result<String> {
    Ok(match format {
        ReportFormat::Json => serde_json::to_string_pretty(report)? + "\n",
        ReportFormat::Md => {
            hirundo_report::markdown(report, lang, &format!("charts/{}", lang.code()))
        }
        ReportFormat::Html => hirundo_report::html(report, lang),
    })
}

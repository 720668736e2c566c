//! hirundo's report renderer: turns a [`Report`] (the analysis, whose JSON is the contract of
//! DESIGN.md) into what a CSIRT publishes every quarter, in the manner of JPCERT/CC's TSUBAME
//! report: the totals, Table 1 (top destination ports) and Table 2 (top source countries)
//! with previous-period ranks, Figures 1–5 (daily packets per port and country, a surging
//! port's sources stacked by country, the home country's share of it, each country's spike
//! or drop), the notable phenomena written out as sentences, tables of research scanners,
//! tool fingerprints and backscatter victims, and the method.
//!
//! Every report exists in Japanese and English ([`Lang`]): one renderer reads a table of
//! texts per language. Outputs are Markdown with SVG charts beside it ([`markdown`],
//! [`charts`]), one self-contained HTML file with the charts inline ([`html`]), or all of
//! them, with the JSON, in a directory ([`write_all`]).
//!
//! ```no_run
//! use hirundo_report::{write_all, Lang};
//!
//! # fn render(report: &hirundo_analyze::model::Report) -> Result<(), hirundo_report::RenderError> {
//! let summary = hirundo_report::markdown(report, Lang::Ja, "charts/ja");
//! println!("{summary}");
//! for path in write_all(report, std::path::Path::new("out"))? {
//!     println!("wrote {}", path.display());
//! }
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hirundo_analyze::model::Report;

mod chart;
mod countries;
mod document;
mod findings;
mod format;
mod html;
mod markdown;
mod text;

pub use chart::Chart;
pub use countries::country_name;

use document::Document;

/// The language of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// Both languages, in the order [`write_all`] writes them.
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// The ISO 639-1 code: `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code other than `ja` and `en`.
#[derive(Debug, thiserror::Error)]
#[error("unknown report language {0:?}: expected ja or en")]
pub struct UnknownLang(String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(code: &str) -> Result<Self, UnknownLang> {
        match code {
            "ja" => Ok(Lang::Ja),
            "en" => Ok(Lang::En),
            other => Err(UnknownLang(other.to_owned())),
        }
    }
}

/// A report that could not be written out.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A file or directory could not be created or written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The report could not be encoded as JSON.
    #[error("cannot encode the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The report in Markdown; charts are linked as `chart_dir/<file name>` (see [`charts`]).
pub fn markdown(report: &Report, lang: Lang, chart_dir: &str) -> String {
    markdown::render(&Document::build(report, lang), chart_dir)
}

/// The report as one self-contained HTML file: inline CSS and inline `<svg class="chart">`
/// charts, no script, nothing fetched from anywhere.
pub fn html(report: &Report, lang: Lang) -> String {
    html::render(&Document::build(report, lang))
}

/// The report's figures, in order, as standalone SVG documents.
pub fn charts(report: &Report, lang: Lang) -> Vec<Chart> {
    Document::build(report, lang).into_charts()
}

/// Writes the whole report into `out_dir` (created if needed): `report.json`, then for each
/// language `report.<lang>.md`, `report.<lang>.html` and `charts/<lang>/*.svg`. Returns the
/// paths written, in that order.
pub fn write_all(report: &Report, out_dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let mut written = vec![write(
        out_dir.join("report.json"),
        serde_json::to_string_pretty(report)?,
    )?];
    for lang in Lang::ALL {
        let doc = Document::build(report, lang);
        let chart_dir = format!("charts/{lang}");
        written.push(write(
            out_dir.join(format!("report.{lang}.md")),
            markdown::render(&doc, &chart_dir),
        )?);
        written.push(write(
            out_dir.join(format!("report.{lang}.html")),
            html::render(&doc),
        )?);
        for chart in doc.into_charts() {
            written.push(write(
                out_dir.join(&chart_dir).join(chart.file_name),
                chart.svg,
            )?);
        }
    }
    Ok(written)
}

/// Writes `contents` to `path`, creating its directory; returns the path.
fn write(path: PathBuf, contents: String) -> Result<PathBuf, RenderError> {
    let written = match path.parent() {
        Some(dir) => fs::create_dir_all(dir).and_then(|()| fs::write(&path, contents)),
        None => fs::write(&path, contents),
    };
    match written {
        Ok(()) => Ok(path),
        Err(source) => Err(RenderError::Write { path, source }),
    }
}

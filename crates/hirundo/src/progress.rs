//! Progress of a long ingest: an indicatif bar on a terminal, plain log lines otherwise.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use hirundo_ingest::{FileReport, Progress};
use indicatif::{ProgressBar, ProgressStyle};

/// Reports files done, packets stored and packets/s.
pub struct IngestProgress {
    bar: Option<ProgressBar>,
    packets: AtomicU64,
    started: Instant,
}

impl IngestProgress {
    pub fn new(files: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} files  {msg}",
            )
            .expect("valid template");
            ProgressBar::new(files).with_style(style)
        });
        IngestProgress {
            bar,
            packets: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    pub fn start_file(&self, path: &Path) {
        if self.bar.is_none() {
            tracing::debug!(path = %path.display(), "reading");
        }
    }

    /// One line per file: problems always (they are what the user must act on), successes
    /// as log lines.
    pub fn finish_file(&self, report: &FileReport) {
        let line = report.to_string();
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                if report.is_failure() {
                    bar.suspend(|| eprintln!("hirundo: {line}"));
                }
            }
            None if report.is_failure() => eprintln!("hirundo: {line}"),
            None => tracing::info!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

impl Progress for IngestProgress {
    fn packets(&self, n: u64) {
        let total = self.packets.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.bar {
            let rate = total as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{total} packets, {:.2} M packets/s", rate / 1e6));
        }
    }
}

/// Progress of work counted in items (simulated files): a bar on a terminal, a log line per
/// item otherwise.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(len: u64, unit: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let template = format!(
                "{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}"
            );
            ProgressBar::new(len)
                .with_style(ProgressStyle::with_template(&template).expect("valid template"))
        });
        Bar { bar }
    }

    pub fn advance(&self, n: u64, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.inc(n);
                bar.set_message(message.to_owned());
            }
            None => tracing::info!("{message}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

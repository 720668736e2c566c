//! The sink: delivers the spool's batches to the collector over HTTPS, oldest first. Several
//! delivery threads (`upload-streams`) keep that many batches in flight, because the collector
//! answers a batch only once it is durably stored and writes the batches that wait together:
//! one batch at a time would leave the collector idle while each answer travels back. A batch
//! leaves the spool only when the collector has acknowledged it (stored, or already stored:
//! the collector deduplicates by batch id, so a retry after a lost answer never double counts).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::metrics::Metrics;
use crate::spool::{Ready, Spool};
use crate::SensorError;

/// A request may take this long, the collector's group commit included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What the collector said.
#[derive(Debug, PartialEq, Eq)]
enum Delivery {
    Stored,
    Duplicate,
    /// Refused for good (malformed or too large): sending again cannot help.
    Refused(String),
    /// Not now (unreachable, busy, credential refused): keep it and try again.
    Retry(String),
}

/// The collector's address, credential and TLS trust.
pub struct Sender {
    agent: ureq::Agent,
    url: String,
    authorization: String,
}

impl Sender {
    pub fn new(collector: &str, token: &str, ca: Option<&Path>) -> Result<Sender, SensorError> {
        let roots = match ca {
            Some(path) => ureq::tls::RootCerts::new_with_certs(&read_ca(path)?),
            None => ureq::tls::RootCerts::WebPki,
        };
        let tls = ureq::tls::TlsConfig::builder().root_certs(roots).build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .user_agent(concat!("hirundo-sensor/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        Ok(Sender {
            agent,
            url: format!("{}/v1/batches", collector.trim_end_matches('/')),
            authorization: format!("Bearer {}", token.trim()),
        })
    }

    /// Sends spooled batches until `stop` is set, or, with `until_empty`, until no batch is
    /// left to claim.
    fn run(&self, shared: &Shared) {
        let Shared {
            spool,
            metrics,
            stop,
            until_empty,
        } = shared;
        let mut backoff = FIRST_BACKOFF;
        while !stop.load(Ordering::Relaxed) {
            let Some(ready) = spool.claim(Duration::from_millis(200)) else {
                if until_empty.load(Ordering::Relaxed) {
                    return;
                }
                continue;
            };
            if self.deliver(spool, &ready, metrics) {
                backoff = FIRST_BACKOFF;
            } else {
                sleep_unless_stopped(backoff, stop);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }

    /// Sends one batch and acts on the answer; false when it must be tried again later.
    fn deliver(&self, spool: &Spool, ready: &Ready, metrics: &Metrics) -> bool {
        let outcome = std::fs::read(&ready.path)
            .map_err(|e| SensorError::io(&ready.path, e))
            .map(|body| self.post(&body));
        let delivery = match outcome {
            Ok(delivery) => delivery,
            Err(e) => {
                spool.release(ready.seq);
                tracing::error!("{e}");
                return false;
            }
        };
        let finished = match &delivery {
            Delivery::Stored | Delivery::Duplicate => spool.delivered(ready.seq, metrics).map(|()| {
                metrics.batches_sent.inc();
                metrics.records_sent.inc_by(ready.records);
                if delivery == Delivery::Duplicate {
                    metrics.duplicates.inc();
                }
            }),
            Delivery::Refused(reason) => spool.reject(ready.seq, metrics).map(|kept| {
                metrics.batches_rejected.inc();
                tracing::error!(batch = ready.seq, kept = %kept.display(), "collector refused the batch: {reason}");
            }),
            Delivery::Retry(reason) => {
                spool.release(ready.seq);
                metrics.send_errors.inc();
                tracing::warn!(batch = ready.seq, "delivery failed, will retry: {reason}");
                return false;
            }
        };
        finished
            .map_err(|e| {
                spool.release(ready.seq);
                tracing::error!("{e}");
            })
            .is_ok()
    }

    fn post(&self, body: &[u8]) -> Delivery {
        let response = self
            .agent
            .post(&self.url)
            .header("authorization", &self.authorization)
            .content_type("application/x-hirundo-batch")
            .send(body);
        let mut response = match response {
            Ok(response) => response,
            Err(e) => return Delivery::Retry(e.to_string()),
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        match status {
            200 if acknowledged_status(&text) == Some("duplicate") => Delivery::Duplicate,
            200 => Delivery::Stored,
            400 | 413 => Delivery::Refused(format!("{status}: {text}")),
            _ => Delivery::Retry(format!("{status}: {text}")),
        }
    }
}

/// The `status` of the collector's acknowledgement.
fn acknowledged_status(text: &str) -> Option<&str> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match value.get("status")? {
        serde_json::Value::String(s) if s == "duplicate" => Some("duplicate"),
        serde_json::Value::String(_) => Some("stored"),
        _ => None,
    }
}

fn read_ca(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, SensorError> {
    let pem = std::fs::read(path).map_err(|e| SensorError::io(path, e))?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(SensorError::Invalid(format!(
            "{}: no PEM certificate in the CA file",
            path.display()
        )));
    }
    Ok(certs)
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < duration && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        slept += step;
    }
}

/// What the delivery threads share.
pub struct Shared {
    pub spool: Arc<Spool>,
    pub metrics: Arc<Metrics>,
    pub stop: Arc<AtomicBool>,
    pub until_empty: Arc<AtomicBool>,
}

/// Starts `streams` delivery threads, which share the sender's connection pool.
pub fn spawn(
    sender: Sender,
    streams: usize,
    shared: Arc<Shared>,
) -> Vec<std::thread::JoinHandle<()>> {
    let sender = Arc::new(sender);
    (0..streams.max(1))
        .map(|i| {
            let (sender, shared) = (Arc::clone(&sender), Arc::clone(&shared));
            std::thread::Builder::new()
                .name(format!("sender-{i}"))
                .spawn(move || sender.run(&shared))
                .expect("spawn sender thread")
        })
        .collect()
}

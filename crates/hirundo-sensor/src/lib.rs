//! hirundo's sensor: the edge of the observation network. A [`source`] (a live interface
//! through libpcap's memory-mapped ring with a kernel BPF filter for the darknet prefixes, or
//! a capture file) feeds the [`batcher`] (the same decoder and frame accounting as
//! `hirundo ingest`), whose sealed batches are encoded and written durably to the [`spool`];
//! the [`sender`] delivers the spool to the collector over HTTPS, oldest first, and deletes a
//! batch only once the collector acknowledged it. The sensor never transmits on the captured
//! interface.
//!
//! Threads: capture (this thread: read, decode, batch), spool writer (encode, compress, sync),
//! senders (HTTPS, one per upload stream), and the optional metrics endpoint. A full spool
//! either drops its oldest batches or stops the capture (see [`config::WhenFull`]); either
//! way it is counted.

pub mod batcher;
pub mod config;
pub mod metrics;
pub mod sender;
pub mod source;
pub mod spool;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::{SensorConfig, WhenFull};

use batcher::{now_ns, Batcher, Sealed};
use metrics::Metrics;
use source::{FrameSource, Poll};
use spool::Spool;

/// Errors that stop the sensor; each names what it concerns.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("capture: {0}")]
    Capture(String),
    #[error("metrics endpoint: {0}")]
    Metrics(std::io::Error),
}

impl SensorError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> SensorError {
        SensorError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Sealed batches waiting for the spool writer: a few, so that a slow disk or a full spool
/// that stops capture holds the capture thread back instead of filling memory.
const SEALED_QUEUE: usize = 4;

/// Runs a sensor until `stop` is set (SIGTERM), or, reading a file, until every batch of it
/// is delivered. On stop, the open batch is sealed and spooled; what is in the spool then is
/// sent by the next run.
pub fn run(config: &SensorConfig, stop: Arc<AtomicBool>) -> Result<Arc<Metrics>, SensorError> {
    config.validate()?;
    let token = std::fs::read_to_string(&config.token_file)
        .map_err(|e| SensorError::io(&config.token_file, e))?;
    let sender = sender::Sender::new(&config.collector, &token, config.ca.as_deref())?;
    let spool = Arc::new(Spool::open(
        &config.spool,
        config.spool_max_bytes,
        config.when_full,
    )?);
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = config.metrics {
        metrics::serve(addr, Arc::clone(&metrics)).map_err(SensorError::Metrics)?;
    }
    let mut source = source::open(config)?;
    let until_empty = Arc::new(AtomicBool::new(false));
    let sending = sender::spawn(
        sender,
        config.upload_streams,
        Arc::new(sender::Shared {
            spool: Arc::clone(&spool),
            metrics: Arc::clone(&metrics),
            stop: Arc::clone(&stop),
            until_empty: Arc::clone(&until_empty),
        }),
    );
    let (sealed_tx, sealed_rx) = sync_channel(SEALED_QUEUE);
    let spooling = spawn_spool_writer(Arc::clone(&spool), Arc::clone(&metrics), sealed_rx);
    let mut batcher = Batcher::new(
        config.name.clone(),
        config.batch_records,
        Duration::from_millis(config.batch_ms),
    );
    let captured = capture(
        source.as_mut(),
        &mut batcher,
        &sealed_tx,
        &metrics,
        &stop,
        config,
    );
    if stop.load(Ordering::Relaxed) {
        // A spool that is full and stops capture must not hold the last batch's way out.
        spool.close();
    }
    if let Some(last) = batcher.seal() {
        let _ = sealed_tx.send(last);
    }
    drop(sealed_tx);
    let spooled = spooling.join().expect("spool writer thread");
    metrics.log();
    if stop.load(Ordering::Relaxed) || captured.is_err() || spooled.is_err() {
        // Whatever is spooled is sent by the next run.
        stop.store(true, Ordering::Relaxed);
        spool.close();
    } else {
        tracing::info!("input finished: delivering the spool");
        until_empty.store(true, Ordering::Relaxed);
    }
    for thread in sending {
        thread.join().expect("sender thread");
    }
    captured.and(spooled)?;
    metrics.log();
    Ok(metrics)
}

/// The capture loop: read, decode, batch; seal on size, age and stop.
fn capture(
    source: &mut dyn FrameSource,
    batcher: &mut Batcher,
    sealed: &std::sync::mpsc::SyncSender<Sealed>,
    metrics: &Metrics,
    stop: &AtomicBool,
    config: &SensorConfig,
) -> Result<(), SensorError> {
    let log_every = Duration::from_secs(config.log_every_s.max(1));
    let mut next_log = Instant::now() + log_every;
    let mut full = Vec::new();
    let result = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        let poll = source.poll(&mut |frame| {
            metrics.captured.inc();
            full.extend(batcher.push(frame));
        });
        let now = Instant::now();
        full.extend(batcher.seal_if_due(now));
        for batch in full.drain(..) {
            if sealed.send(batch).is_err() {
                return Err(SensorError::Invalid("the spool writer stopped".into()));
            }
        }
        if now >= next_log {
            update_loss(source, metrics);
            metrics.log();
            next_log = now + log_every;
        }
        match poll {
            Ok(Poll::Frames(_)) => {}
            Ok(Poll::End) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    update_loss(source, metrics);
    result
}

fn update_loss(source: &mut dyn FrameSource, metrics: &Metrics) {
    if let Some(loss) = source.loss() {
        let kernel = loss
            .kernel_dropped
            .saturating_sub(metrics.kernel_dropped.get());
        metrics.kernel_dropped.inc_by(kernel);
        let interface = loss
            .interface_dropped
            .saturating_sub(metrics.interface_dropped.get());
        metrics.interface_dropped.inc_by(interface);
    }
}

/// Encodes sealed batches and writes them to the spool, numbering them in order.
fn spawn_spool_writer(
    spool: Arc<Spool>,
    metrics: Arc<Metrics>,
    sealed: Receiver<Sealed>,
) -> std::thread::JoinHandle<Result<(), SensorError>> {
    std::thread::Builder::new()
        .name("spool-writer".into())
        .spawn(move || {
            // Microseconds since the epoch, and always above what the spool holds: names
            // sort in send order across restarts.
            let mut last_seq = spool.last_seq();
            for mut batch in sealed {
                let seq = (last_seq + 1).max(u64::try_from(now_ns() / 1000).unwrap_or(0));
                last_seq = seq;
                batch.header.seq = seq;
                let accounting = &batch.header.accounting;
                metrics.records.inc_by(batch.header.records);
                metrics
                    .malformed
                    .inc_by(accounting.malformed.values().sum());
                metrics.non_ip.inc_by(accounting.non_ip.values().sum());
                let encoded = hirundo_batch::encode(&batch.header, &batch.records);
                if !spool.push(seq, &encoded, batch.header.records, &metrics)? {
                    break;
                }
            }
            Ok(())
        })
        .expect("spawn spool writer thread")
}

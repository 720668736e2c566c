//! `hirundo honeypot`: the MSSQL and telnet honeypot, its events committed to the store.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use hirundo_honeypot::{Event, EventSink, HoneypotConfig, ServerStats};
use hirundo_ingest::Enricher;
use hirundo_store::{HoneypotEvent, Store};

use crate::config_file::{self, path, Overrides};
use crate::ingest::EnrichArgs;

#[derive(Args)]
pub struct HoneypotArgs {
    /// TOML file with the same keys as the long options (mssql, telnet, passwords, ...);
    /// options given here win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The MSSQL (TDS) service's address, e.g. 0.0.0.0:1433.
    #[arg(long, value_name = "ADDR:PORT")]
    mssql: Option<String>,
    /// The telnet service's address, e.g. 0.0.0.0:23.
    #[arg(long, value_name = "ADDR:PORT")]
    telnet: Option<String>,
    /// Name stored with every event [default: honeypot].
    #[arg(long)]
    name: Option<String>,
    /// Directory of the TDS TLS certificate, made at first start [default: DB/.honeypot-tls].
    #[arg(long, value_name = "DIR")]
    tls_dir: Option<PathBuf>,
    /// Become this user once the ports are bound (start as root for ports below 1024, or
    /// give the binary CAP_NET_BIND_SERVICE instead).
    #[arg(long)]
    user: Option<String>,
    /// Passwords in stored events: keep, hash (sha256:...) or omit [default: keep].
    #[arg(long, value_name = "POLICY")]
    passwords: Option<String>,
    /// Connections open at once, all services [default: 256].
    #[arg(long, value_name = "N")]
    max_connections: Option<i64>,
    /// Connections open at once from one address (IPv6: one /64) [default: 8].
    #[arg(long, value_name = "N")]
    max_per_source: Option<i64>,
    /// Seconds to wait for a client's next bytes [default: 30].
    #[arg(long, value_name = "S")]
    idle_timeout_s: Option<i64>,
    /// Seconds a connection may last [default: 120].
    #[arg(long, value_name = "S")]
    session_timeout_s: Option<i64>,
    /// Milliseconds between commits of events to the store [default: 1000].
    #[arg(long, value_name = "MS")]
    flush_ms: Option<i64>,
    #[command(flatten)]
    enrich: EnrichArgs,
}

/// Events waiting for the store: a flood that outruns the disk loses events (counted), never
/// memory.
const QUEUE_EVENTS: usize = 100_000;

pub fn run(db: &Path, args: HoneypotArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(&args)?;
    let store = Store::open(db)?;
    let tls_dir = config
        .tls_dir
        .clone()
        .unwrap_or_else(|| db.join(".honeypot-tls"));
    let enricher = args.enrich.enricher()?;
    let (sink, events) = StoreSink::new();
    let dropped = Arc::clone(&sink.dropped);
    let writer = spawn_writer(store, config.clone(), enricher, events, dropped);
    let stats = Arc::new(ServerStats::default());
    let served = hirundo_honeypot::run(&config, &tls_dir, sink, stats);
    // `run` has dropped the sink's other handles: the queue closes once the writer holds
    // the last one, and the writer commits what is left and ends.
    let written = writer.join().expect("honeypot writer thread panicked");
    served?;
    written.map(|()| ExitCode::SUCCESS)
}

fn load_config(args: &HoneypotArgs) -> anyhow::Result<HoneypotConfig> {
    let mut o = Overrides::default();
    o.set("mssql", args.mssql.clone())
        .set("telnet", args.telnet.clone())
        .set("name", args.name.clone())
        .set("tls-dir", path(&args.tls_dir))
        .set("user", args.user.clone())
        .set("passwords", args.passwords.clone())
        .set("max-connections", args.max_connections)
        .set("max-per-source", args.max_per_source)
        .set("idle-timeout-s", args.idle_timeout_s)
        .set("session-timeout-s", args.session_timeout_s)
        .set("flush-ms", args.flush_ms);
    config_file::load(args.config.as_deref(), o)
}

/// Hands events to the writer thread without blocking the connection tasks.
struct StoreSink {
    queue: SyncSender<Event>,
    /// Events lost to a full queue.
    dropped: Arc<AtomicU64>,
}

impl StoreSink {
    fn new() -> (Arc<StoreSink>, Receiver<Event>) {
        let (queue, events) = sync_channel(QUEUE_EVENTS);
        let sink = StoreSink {
            queue,
            dropped: Default::default(),
        };
        (Arc::new(sink), events)
    }
}

impl EventSink for StoreSink {
    fn record(&self, event: Event) {
        if let Err(TrySendError::Full(_)) = self.queue.try_send(event) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Commits the queued events every `flush-ms`, and the rest when the queue closes.
fn spawn_writer(
    store: Store,
    config: HoneypotConfig,
    enricher: Option<Enricher>,
    events: Receiver<Event>,
    dropped: Arc<AtomicU64>,
) -> std::thread::JoinHandle<anyhow::Result<()>> {
    std::thread::spawn(move || {
        let flush = Duration::from_millis(config.flush_ms);
        let mut pending = Vec::new();
        let mut dropped_before = 0;
        let mut due = Instant::now() + flush;
        loop {
            let wait = due.saturating_duration_since(Instant::now());
            let open = match events.recv_timeout(wait) {
                Ok(event) => {
                    pending.push(event);
                    true
                }
                Err(RecvTimeoutError::Timeout) => true,
                Err(RecvTimeoutError::Disconnected) => false,
            };
            if !open || Instant::now() >= due {
                commit(&store, &config.name, &pending, enricher.as_ref())?;
                pending.clear();
                let dropped = dropped.load(Ordering::Relaxed);
                if dropped > dropped_before {
                    tracing::warn!(dropped, "honeypot events lost: the store fell behind");
                    dropped_before = dropped;
                }
                due = Instant::now() + flush;
            }
            if !open {
                return Ok(());
            }
        }
    })
}

fn commit(
    store: &Store,
    name: &str,
    events: &[Event],
    enricher: Option<&Enricher>,
) -> anyhow::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<HoneypotEvent<'_>> = events.iter().map(store_row).collect();
    let committed = store.append_honeypot(name, &rows, enricher)?;
    tracing::debug!(
        events = rows.len(),
        version = committed.version,
        "honeypot events stored"
    );
    Ok(())
}

fn store_row(event: &Event) -> HoneypotEvent<'_> {
    let f = &event.finding;
    HoneypotEvent {
        time_ns: event.time_ns,
        src: event.src,
        dst: event.dst,
        protocol: event.protocol.as_str(),
        kind: f.kind.as_str(),
        username: f.username.as_deref(),
        password: f.password.as_deref(),
        client_host: f.client.host.as_deref(),
        client_app: f.client.app.as_deref(),
        client_library: f.client.library.as_deref(),
        client_version: f.client.library_version.as_deref(),
        protocol_version: f.client.protocol_version.as_deref(),
        encrypted: f.encrypted,
        text: f.text.as_deref(),
    }
}

//! hirundo's collector: the central end of the observation network. Sensors POST encoded
//! batches (`hirundo-batch`) over HTTPS; the collector authenticates each sensor by its token
//! ([`sensors`]), refuses what is not that sensor's or not a well-formed batch ([`server`]),
//! and writes the rest into the same store as `hirundo ingest`, acknowledging a batch only once
//! its commit is durable and a batch id only once ([`writer`]). Several collectors may write
//! one store: the store's commit log serialises them.

pub mod metrics;
pub mod sensors;
pub mod server;
pub mod writer;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hirundo_batch::Limits;
use hirundo_enrich::Enricher;
use hirundo_store::Store;
use serde::Deserialize;

pub use sensors::token_hash;
pub use writer::CommitPolicy;

/// Errors that stop the collector; each names what it concerns.
#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    #[error(transparent)]
    Sensors(#[from] sensors::SensorsFileError),
    #[error(transparent)]
    Store(#[from] hirundo_store::StoreError),
    #[error("TLS certificate {cert} or key {key}: {source}")]
    Tls {
        cert: PathBuf,
        key: PathBuf,
        source: std::io::Error,
    },
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Everything `hirundo collector` needs but the store; a TOML file may hold the same keys.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CollectorConfig {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    /// The sensors file (see [`sensors`]).
    pub sensors: PathBuf,
    /// A plain-HTTP listener for `/metrics` (also served over HTTPS on `listen`).
    #[serde(default)]
    pub metrics: Option<SocketAddr>,
    /// Larger batches are refused with 413.
    #[serde(default = "default_max_batch_bytes")]
    pub max_batch_bytes: usize,
    /// Records a batch may hold.
    #[serde(default = "default_max_batch_records")]
    pub max_batch_records: u64,
    /// Write a group once this many records wait...
    #[serde(default = "default_commit_records")]
    pub commit_records: usize,
    /// ...or this many milliseconds after its first batch arrived (0: as soon as the writer
    /// is free).
    #[serde(default)]
    pub commit_ms: u64,
}

fn default_max_batch_bytes() -> usize {
    64 << 20
}
fn default_max_batch_records() -> u64 {
    Limits::default().max_records
}
fn default_commit_records() -> usize {
    1 << 20
}

/// Runs the collector until SIGTERM or SIGINT; then stops accepting, answers the requests in
/// flight, writes what is queued, and returns.
/// `db` is the store (the global `--db`, so `ingest`, `query` and the collector name it alike).
pub fn run(
    db: &Path,
    config: CollectorConfig,
    enricher: Option<Enricher>,
) -> Result<(), CollectorError> {
    // One provider for the process: ring, which the sensor's client already uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sensors = sensors::Sensors::open(&config.sensors)?;
    let store = Store::open(db)?;
    let metrics = Arc::new(metrics::Metrics::default());
    let policy = CommitPolicy {
        max_records: config.commit_records,
        max_delay: Duration::from_millis(config.commit_ms),
    };
    let writer =
        writer::BatchWriter::start(store, enricher.map(Arc::new), policy, Arc::clone(&metrics));
    let limits = Limits {
        max_records: config.max_batch_records,
        ..Limits::default()
    };
    let app = Arc::new(server::App {
        sensors,
        writer,
        metrics,
        max_batch_bytes: config.max_batch_bytes,
        limits,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("collector")
        .build()
        .expect("tokio runtime");
    let served = runtime.block_on(serve(&config, Arc::clone(&app)));
    drop(runtime);
    // The last reference: dropping the writer writes what is queued.
    drop(app);
    served
}

async fn serve(config: &CollectorConfig, app: Arc<server::App>) -> Result<(), CollectorError> {
    let tls =
        axum_server::tls_rustls::RustlsConfig::from_pem_file(&config.tls_cert, &config.tls_key)
            .await
            .map_err(|source| CollectorError::Tls {
                cert: config.tls_cert.clone(),
                key: config.tls_key.clone(),
                source,
            })?;
    // HTTP/1.1 only: one POST per batch needs nothing of HTTP/2, and over HTTP/1.1 a batch
    // refused on its announced size gets its 413 before the client sends the body.
    let mut server_config = (*tls.get_inner()).clone();
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tls.reload_from_config(Arc::new(server_config));
    let handle = axum_server::Handle::new();
    if let Some(addr) = config.metrics {
        spawn_metrics_listener(addr, Arc::clone(&app.metrics)).await?;
    }
    let listen = config.listen;
    let server = axum_server::bind_rustls(listen, tls)
        .http1_only()
        .handle(handle.clone())
        .serve(server::router(app).into_make_service());
    tokio::spawn(shutdown_on_signal(handle.clone()));
    let served = tokio::spawn(server);
    match handle.listening().await {
        Some(addr) => tracing::info!(%addr, "collector listening (HTTPS)"),
        None => {
            let error = served.await.expect("server task").err();
            return Err(CollectorError::Listen {
                addr: listen,
                source: error.unwrap_or_else(|| std::io::Error::other("bind failed")),
            });
        }
    }
    served
        .await
        .expect("server task")
        .map_err(|source| CollectorError::Listen {
            addr: listen,
            source,
        })
}

async fn spawn_metrics_listener(
    addr: SocketAddr,
    metrics: Arc<metrics::Metrics>,
) -> Result<(), CollectorError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| CollectorError::Listen { addr, source })?;
    tracing::info!(%addr, "metrics listening (HTTP)");
    let router = server::metrics_router::<()>(metrics);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(())
}

/// Graceful shutdown: requests in flight get up to 30 s to be written and answered.
async fn shutdown_on_signal(handle: axum_server::Handle<SocketAddr>) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down: finishing the batches in flight");
    handle.graceful_shutdown(Some(Duration::from_secs(30)));
}

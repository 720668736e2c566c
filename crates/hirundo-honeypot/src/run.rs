//! The honeypot as a program: bind the configured services, drop privileges, serve until
//! SIGTERM or SIGINT, log health every minute.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::server::{serve, Service};
use crate::tds::{server_config, MssqlSession, TlsError};
use crate::{EventSink, HoneypotConfig, PrivilegeError, Protocol, ServerStats};

/// Why the honeypot could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("nothing to serve: configure mssql and/or telnet")]
    NoService,
    #[error(transparent)]
    Config(#[from] crate::server::UnknownPasswordPolicy),
    #[error("TLS certificate: {0}")]
    Tls(#[from] TlsError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Privileges(#[from] PrivilegeError),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `config`'s services until SIGTERM or SIGINT, handing events to `sink`; the TDS
/// certificate is kept in `tls_dir`. Returns once open connections have ended (or been cut
/// after the grace).
pub fn run(
    config: &HoneypotConfig,
    tls_dir: &Path,
    sink: Arc<dyn EventSink>,
    stats: Arc<ServerStats>,
) -> Result<(), RunError> {
    if config.mssql.is_none() && config.telnet.is_none() {
        return Err(RunError::NoService);
    }
    let passwords = config.password_policy()?;
    let tls = server_config(tls_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let services = bind(config, tls).await?;
        if let Some(user) = &config.user {
            crate::drop_privileges(user)?;
        }
        tokio::spawn(log_health(Arc::clone(&stats)));
        let limits = config.limits();
        serve(services, limits, passwords, sink, stats, shutdown_signal()).await?;
        Ok(())
    })
}

/// Binds every configured service (before privileges are dropped).
async fn bind(
    config: &HoneypotConfig,
    tls: Arc<rustls::ServerConfig>,
) -> Result<Vec<Service>, RunError> {
    let mut services = Vec::new();
    if let Some(addr) = config.mssql {
        let name = config.server_name.clone();
        let new_session = Arc::new(move || {
            let session = MssqlSession::new(Some(Arc::clone(&tls))).with_server_name(&name);
            Box::new(session) as Box<dyn crate::Session>
        });
        services.push(Service::new(listen(addr)?, Protocol::Mssql, new_session));
    }
    if let Some(addr) = config.telnet {
        services.push(Service::telnet(listen(addr)?));
    }
    Ok(services)
}

/// A listener with the server's long accept queue (see [`crate::server::bind`]).
fn listen(addr: SocketAddr) -> Result<TcpListener, RunError> {
    crate::server::bind(addr).map_err(|source| RunError::Listen { addr, source })
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("honeypot stopping");
}

/// A health line every minute.
async fn log_health(stats: Arc<ServerStats>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.tick().await;
    loop {
        every.tick().await;
        tracing::info!(stats = ?stats.snapshot(), "honeypot health");
    }
}

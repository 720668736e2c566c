//! The TCP side of the honeypot: accepts connections on each [`Service`]'s listener, admits
//! them under the [`Limits`], runs one [`Session`] per connection, and hands every
//! [`Event`](crate::Event) to the sink.
//!
//! Safe to expose: nothing is executed; connections over a cap are reset at once (and
//! counted in [`ServerStats`], not recorded as events, so a flood cannot flood the store);
//! every read has an idle timeout and every connection a total one; input per connection is
//! capped; memory per connection is a fixed read buffer plus the session's bounded state.
//!
//! ```no_run
//! # async fn example(sink: std::sync::Arc<dyn hirundo_honeypot::EventSink>) -> std::io::Result<()> {
//! use std::sync::Arc;
//! use hirundo_honeypot::server::{serve, Limits, PasswordPolicy, ServerStats, Service};
//!
//! let listener = hirundo_honeypot::server::bind("0.0.0.0:23".parse().unwrap())?;
//! // Drop privileges here, once every port is bound.
//! let stats = Arc::new(ServerStats::default());
//! let services = vec![Service::telnet(listener)];
//! serve(services, Limits::default(), PasswordPolicy::Hash, sink, stats, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

mod admission;
mod connection;
mod password;
mod stats;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::telnet::TelnetSession;
use crate::{EventSink, Protocol, Session};
use admission::Admission;
use connection::Connection;

pub use admission::source_key;
pub use connection::READ_BUFFER;
pub use password::{PasswordPolicy, UnknownPasswordPolicy};
pub use stats::{ServerStats, StatsSnapshot};

/// The accept queue [`bind`] asks for. Rust's and tokio's default is 128: a burst of more
/// connections than that overflows it, and the kernel drops the excess handshakes, which the
/// clients retry a second later, so a flood lasts longer and a legitimate client's SYN can be
/// dropped with it. With a deeper queue the burst is accepted and refused at once. (The
/// kernel caps it at net.core.somaxconn.)
pub const LISTEN_BACKLOG: u32 = 1024;

/// Binds a listener for a [`Service`] with SO_REUSEADDR and a [`LISTEN_BACKLOG`] queue.
/// Call from within the runtime, before dropping privileges.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Makes a fresh session for each connection.
pub type SessionFactory = Arc<dyn Fn() -> Box<dyn Session> + Send + Sync>;

/// A bound listener and the protocol spoken on it.
pub struct Service {
    listener: TcpListener,
    protocol: Protocol,
    new_session: SessionFactory,
}

impl Service {
    pub fn new(listener: TcpListener, protocol: Protocol, new_session: SessionFactory) -> Service {
        Service {
            listener,
            protocol,
            new_session,
        }
    }

    /// The telnet service on `listener`.
    pub fn telnet(listener: TcpListener) -> Service {
        Service::new(
            listener,
            Protocol::Telnet,
            Arc::new(|| Box::new(TelnetSession::new())),
        )
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// The bounds on connections. Defaults suit one small host on the Internet: a telnet bot
/// needs a few seconds and a few hundred bytes, a TDS login two round trips.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Connections open at once, all services together (default 256). With the read buffer
    /// and a session at under 8 KiB each, the cap bounds the memory of sessions to about
    /// 2 MiB, plus the kernel's socket buffers.
    pub max_connections: usize,
    /// Connections open at once from one IPv4 address or IPv6 /64 (default 8: bots open
    /// a few; more is a flood).
    pub max_per_source: usize,
    /// Longest wait for the client's next bytes (default 30 s).
    pub idle_timeout: Duration,
    /// Longest life of a connection, however active (default 120 s).
    pub session_timeout: Duration,
    /// Longest wait for one write to go out (default 10 s).
    pub write_timeout: Duration,
    /// Bytes read from one connection before it is closed (default 64 KiB: twenty telnet
    /// commands, or a TDS login and a few batches).
    pub max_input_bytes: usize,
    /// On shutdown, how long open connections may take to end before they are cut
    /// (default 2 s).
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 256,
            max_per_source: 8,
            idle_timeout: Duration::from_secs(30),
            session_timeout: Duration::from_secs(120),
            write_timeout: Duration::from_secs(10),
            max_input_bytes: 64 * 1024,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// What every connection task shares.
pub(crate) struct Shared {
    limits: Limits,
    passwords: PasswordPolicy,
    sink: Arc<dyn EventSink>,
    stats: Arc<ServerStats>,
    admission: Arc<Admission>,
}

/// Serves `services` until `shutdown` completes: then stops accepting, gives open
/// connections [`Limits::shutdown_grace`] to end, cuts the rest and returns. Counters go to
/// `stats` as it runs. Errors accepting a connection (e.g. out of file descriptors) are
/// logged and retried, not returned; the only error is a listener without a local address.
pub async fn serve(
    services: Vec<Service>,
    limits: Limits,
    passwords: PasswordPolicy,
    sink: Arc<dyn EventSink>,
    stats: Arc<ServerStats>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let admission = Arc::new(Admission::new(
        limits.max_connections,
        limits.max_per_source,
        Arc::clone(&stats),
    ));
    let shared = Arc::new(Shared {
        limits,
        passwords,
        sink,
        stats,
        admission,
    });
    let (stop, stopped) = watch::channel(false);
    let mut loops = JoinSet::new();
    for service in services {
        tracing::info!(address = %service.local_addr()?, protocol = service.protocol.as_str(), "honeypot listening");
        loops.spawn(accept_loop(service, Arc::clone(&shared), stopped.clone()));
    }
    shutdown.await;
    let _ = stop.send(true);
    while loops.join_next().await.is_some() {}
    tracing::info!(stats = ?shared.stats.snapshot(), "honeypot stopped");
    Ok(())
}

/// Accepts on one listener until told to stop, then winds down its connections.
async fn accept_loop(service: Service, shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            // Reaps finished connections, so the set holds only open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = service.listener.accept() => match accepted {
                Ok((stream, src)) => admit(&service, &shared, stream, src, &mut connections),
                Err(error) => {
                    // EMFILE and the like: wait for connections to end rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(service.listener);
    wind_down(connections, shared.limits.shutdown_grace).await;
}

/// Starts a session for an accepted connection, or resets it if a cap is full.
fn admit(
    service: &Service,
    shared: &Arc<Shared>,
    stream: TcpStream,
    src: SocketAddr,
    connections: &mut JoinSet<()>,
) {
    let slot = match shared.admission.admit(src.ip()) {
        Ok(slot) => slot,
        Err(refusal) => {
            tracing::trace!(%src, ?refusal, "connection refused");
            // A reset, not a FIN: no TIME-WAIT left on our side for each refused flood SYN.
            let _ = stream.set_zero_linger();
            return;
        }
    };
    stats::bump(&shared.stats.accepted);
    let dst = stream
        .local_addr()
        .unwrap_or_else(|_| fallback_addr(service));
    let connection = Connection {
        stream,
        src,
        dst,
        protocol: service.protocol,
        shared: Arc::clone(shared),
        _slot: slot,
    };
    connections.spawn(connection.run((service.new_session)()));
}

fn fallback_addr(service: &Service) -> SocketAddr {
    service
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// Lets connections end by themselves for `grace`, then aborts the rest.
async fn wind_down(mut connections: JoinSet<()>, grace: Duration) {
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            open = connections.len(),
            "cutting connections still open after the grace"
        );
        connections.shutdown().await;
    }
}

#[cfg(test)]
mod tests;

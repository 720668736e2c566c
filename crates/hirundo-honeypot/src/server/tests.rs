//! The server over loopback with the telnet session: events and their addresses, the
//! password policy, the input cap, the idle timeout and shutdown.

use std::sync::Mutex;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;
use crate::{Event, EventKind};

#[derive(Default)]
struct Collect(Mutex<Vec<Event>>);

impl EventSink for Collect {
    fn record(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

struct Running {
    addr: SocketAddr,
    sink: Arc<Collect>,
    stats: Arc<ServerStats>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<io::Result<()>>,
}

async fn start(limits: Limits, passwords: PasswordPolicy) -> Running {
    let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let sink = Arc::new(Collect::default());
    let stats = Arc::new(ServerStats::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        vec![Service::telnet(listener)],
        limits,
        passwords,
        sink.clone(),
        stats.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        sink,
        stats,
        stop,
        server,
    }
}

impl Running {
    async fn stop(self) -> (Vec<Event>, StatsSnapshot) {
        let _ = self.stop.send(());
        self.server.await.unwrap().unwrap();
        let events = std::mem::take(&mut *self.sink.0.lock().unwrap());
        (events, self.stats.snapshot())
    }
}

/// Logs in, reads until the connection closes, returns what was shown.
async fn login(addr: SocketAddr, script: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(script).await.unwrap();
    let mut shown = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut shown)).await;
    shown
}

async fn login_events(passwords: PasswordPolicy) -> Vec<Event> {
    let running = start(Limits::default(), passwords).await;
    login(running.addr, b"admin\r\npassword\r\nexit\r\n").await;
    running.stop().await.0
}

#[tokio::test]
async fn events_carry_addresses_and_kept_password() {
    let running = start(Limits::default(), PasswordPolicy::Keep).await;
    let shown = login(
        running.addr,
        b"admin\r\npassword\r\n/bin/busybox ECCHI\r\nexit\r\n",
    )
    .await;
    assert!(String::from_utf8_lossy(&shown).contains("ECCHI: applet not found"));
    let addr = running.addr;
    let (events, stats) = running.stop().await;
    let kinds: Vec<_> = events.iter().map(|event| event.finding.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Connect,
            EventKind::Login,
            EventKind::Command,
            EventKind::Command
        ]
    );
    assert!(events
        .iter()
        .all(|event| event.dst == addr && event.src.ip() == addr.ip()));
    assert!(events.iter().all(
        |event| event.protocol == Protocol::Telnet && event.time_ns > 1_600_000_000_000_000_000
    ));
    assert_eq!(events[1].finding.password.as_deref(), Some("password"));
    assert_eq!((stats.accepted, stats.events, stats.open), (1, 4, 0));
}

#[tokio::test]
async fn hashed_password() {
    let events = login_events(PasswordPolicy::Hash).await;
    let login = &events[1].finding;
    assert_eq!(login.username.as_deref(), Some("admin"));
    assert_eq!(
        login.password.as_deref(),
        Some("sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8")
    );
}

#[tokio::test]
async fn omitted_password() {
    let events = login_events(PasswordPolicy::Omit).await;
    assert_eq!(events[1].finding.username.as_deref(), Some("admin"));
    assert_eq!(events[1].finding.password, None);
}

#[tokio::test]
async fn input_cap_closes_the_connection() {
    let limits = Limits {
        max_input_bytes: 1000,
        ..Limits::default()
    };
    let running = start(limits, PasswordPolicy::Keep).await;
    let mut stream = TcpStream::connect(running.addr).await.unwrap();
    // Bytes that never end a line: the session would wait forever.
    let _ = stream.write_all(&[b'A'; 5000]).await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "connection not closed");
    let (_, stats) = running.stop().await;
    assert_eq!(stats.input_capped, 1);
}

#[tokio::test]
async fn idle_timeout_closes_and_counts() {
    let limits = Limits {
        idle_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let running = start(limits, PasswordPolicy::Keep).await;
    let started = Instant::now();
    login(running.addr, b"").await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    let (events, stats) = running.stop().await;
    assert_eq!((stats.timed_out, events.len()), (1, 1));
}

#[tokio::test]
async fn shutdown_cuts_idle_connections_after_the_grace() {
    let limits = Limits {
        shutdown_grace: Duration::from_millis(200),
        ..Limits::default()
    };
    let running = start(limits, PasswordPolicy::Keep).await;
    let mut stream = TcpStream::connect(running.addr).await.unwrap();
    let mut banner = [0u8; 16];
    stream.read_exact(&mut banner).await.unwrap();
    let started = Instant::now();
    let (_, stats) = running.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(stats.open, 0);
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest).await;
}

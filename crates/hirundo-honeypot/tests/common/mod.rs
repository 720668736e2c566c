//! The honeypot's real server for the client tests: [`serve`] on 127.0.0.1 in a thread of its
//! own, with a sink that keeps every event and sessions wrapped so that the bytes each client
//! sent can be looked at (what encryption a client asked for, say).

#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hirundo_honeypot::server::{bind, serve, Limits, PasswordPolicy, ServerStats, Service};
use hirundo_honeypot::tds::MssqlSession;
use hirundo_honeypot::TelnetSession;
use hirundo_honeypot::{Event, EventKind, EventSink, Finding, Flow, Protocol, Session};
use tokio::sync::oneshot;

/// Client bytes kept per connection.
const KEEP: usize = 64 * 1024;

/// The bytes one connection's client sent.
type Sent = Arc<Mutex<Vec<u8>>>;

/// Keeps every event it is given.
#[derive(Default)]
pub struct Collect(Mutex<Vec<Event>>);

impl EventSink for Collect {
    fn record(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

/// A session that records what its client sent before passing it on.
struct Tap {
    inner: Box<dyn Session>,
    bytes: Sent,
}

impl Session for Tap {
    fn start(&mut self, out: &mut Vec<u8>) {
        self.inner.start(out)
    }

    fn receive(&mut self, input: &[u8], out: &mut Vec<u8>, found: &mut Vec<Finding>) -> Flow {
        let mut kept = self.bytes.lock().unwrap();
        let room = KEEP.saturating_sub(kept.len()).min(input.len());
        kept.extend_from_slice(&input[..room]);
        drop(kept);
        self.inner.receive(input, out, found)
    }
}

/// A running server; stopped (and its connections ended) when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stats: Arc<ServerStats>,
    sink: Arc<Collect>,
    client_bytes: Arc<Mutex<Vec<Sent>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// An MSSQL service whose sessions offer TLS when `tls` is given.
    pub fn mssql(tls: Option<Arc<rustls::ServerConfig>>) -> TestServer {
        let new = move || Box::new(MssqlSession::new(tls.clone())) as Box<dyn Session>;
        TestServer::start(Protocol::Mssql, new, PasswordPolicy::Keep)
    }

    /// A telnet service whose passwords go through `passwords`.
    pub fn telnet(passwords: PasswordPolicy) -> TestServer {
        let new = || Box::new(TelnetSession::new()) as Box<dyn Session>;
        TestServer::start(Protocol::Telnet, new, passwords)
    }

    fn start(
        protocol: Protocol,
        new_session: impl Fn() -> Box<dyn Session> + Send + Sync + 'static,
        passwords: PasswordPolicy,
    ) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(async { bind("127.0.0.1:0".parse().unwrap()) });
        let listener = listener.unwrap();
        let addr = listener.local_addr().unwrap();
        let client_bytes = Arc::new(Mutex::new(Vec::new()));
        let taps = Arc::clone(&client_bytes);
        let tapped = Arc::new(move || {
            let bytes = Arc::new(Mutex::new(Vec::new()));
            taps.lock().unwrap().push(Arc::clone(&bytes));
            Box::new(Tap {
                inner: new_session(),
                bytes,
            }) as Box<dyn Session>
        });
        let service = Service::new(listener, protocol, tapped);
        let (sink, stats) = (
            Arc::new(Collect::default()),
            Arc::new(ServerStats::default()),
        );
        let (tx, rx) = oneshot::channel();
        let served = serve(
            vec![service],
            Limits::default(),
            passwords,
            Arc::clone(&sink) as Arc<dyn EventSink>,
            Arc::clone(&stats),
            async {
                let _ = rx.await;
            },
        );
        let thread = std::thread::spawn(move || runtime.block_on(served).unwrap());
        TestServer {
            addr,
            stats,
            sink,
            client_bytes,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.sink.0.lock().unwrap().clone()
    }

    /// Waits until `n` findings (events other than connects) are there, or `timeout`
    /// passes, and returns them all.
    pub fn wait_findings(&self, n: usize, timeout: Duration) -> Vec<Finding> {
        let deadline = Instant::now() + timeout;
        loop {
            let findings: Vec<Finding> = self
                .events()
                .into_iter()
                .filter(|e| e.finding.kind != EventKind::Connect)
                .map(|e| e.finding)
                .collect();
            if findings.len() >= n || Instant::now() > deadline {
                return findings;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The bytes each connection's client sent, in accept order.
    pub fn client_bytes(&self) -> Vec<Vec<u8>> {
        let taps = self.client_bytes.lock().unwrap();
        taps.iter().map(|b| b.lock().unwrap().clone()).collect()
    }

    /// Stops the server and returns every event.
    pub fn stop(mut self) -> Vec<Event> {
        self.shut_down();
        self.events()
    }

    fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Panics, naming what to install, when `program PROBE...` cannot run: scripts/install-deps.sh
/// installs every client these tests use, so a missing one is a broken set-up, not a skip.
pub fn require(program: &str, probe: &[&str]) {
    let ok = std::process::Command::new(program)
        .args(probe)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "`{program} {probe:?}` failed: run scripts/install-deps.sh for the test clients"
    );
}

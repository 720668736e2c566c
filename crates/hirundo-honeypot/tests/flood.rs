//! A connection flood on loopback: 400 connections opened at once from 19 source addresses
//! (127.0.0.2 to 127.0.0.20) and held idle, against caps of 64 open connections and 16 per
//! source, with a 1 s idle timeout. Once the server has seen them all, a client from
//! 127.0.0.99 tries to log in every 20 ms. Checks that:
//!
//! - the caps hold (never more than 64 open; one source never more than 16) and every refused
//!   connection is counted;
//! - the legitimate client logs in once the idle timeout frees slots, within 2.5 s;
//! - every flood connection that got a session is closed by the idle timeout;
//! - the process's resident memory (server and clients together) grows by under 16 MiB.
//!
//! What this does not show: a flood that reconnects as fast as slots free competes with
//! legitimate clients for them; the per-source cap only guarantees that such a flood needs
//! at least max_connections / max_per_source sources.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hirundo_honeypot::server::{bind, serve, Limits, PasswordPolicy, ServerStats, Service};
use hirundo_honeypot::{Event, EventSink};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;

const MAX_CONNECTIONS: usize = 64;
const MAX_PER_SOURCE: usize = 16;
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// The first source opens this many, one after the other, to meet its cap for sure.
const HEAVY_SOURCE_CONNECTIONS: usize = 40;
/// Then 18 more sources open this many each, all at once.
const SOURCES: u8 = 18;
const PER_SOURCE: usize = 20;
const FLOOD: usize = HEAVY_SOURCE_CONNECTIONS + SOURCES as usize * PER_SOURCE;
const RSS_CAP_KIB: u64 = 16 * 1024;
const LEGIT_LOGIN_WITHIN: Duration = Duration::from_millis(2500);

/// Counts events without keeping them: the store's side is not under test.
struct Discard;

impl EventSink for Discard {
    fn record(&self, _event: Event) {}
}

/// How one flood connection went, seen from the client.
#[derive(Debug)]
enum Outcome {
    /// Closed or reset before any byte came.
    Refused,
    /// Got the banner, then was closed after this long without sending anything.
    Served { closed_after: Duration },
}

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

async fn connect_from(source: Ipv4Addr, server: SocketAddr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    socket.connect(server).await
}

/// Connects from `source` and holds the connection idle until the server closes it.
async fn flood_connection(source: Ipv4Addr, server: SocketAddr) -> Outcome {
    hold(connect_from(source, server).await).await
}

/// Holds an opened connection idle, reading, until the server closes or resets it.
async fn hold(stream: io::Result<TcpStream>) -> Outcome {
    let Ok(mut stream) = stream else {
        return Outcome::Refused;
    };
    let mut buf = [0u8; 512];
    let mut first_byte = None;
    while stream.read(&mut buf).await.is_ok_and(|read| read > 0) {
        first_byte.get_or_insert_with(Instant::now);
    }
    match first_byte {
        None => Outcome::Refused,
        Some(at) => Outcome::Served {
            closed_after: at.elapsed(),
        },
    }
}

/// Tries to log in from 127.0.0.99 until it works; returns the time taken and the number
/// of refused attempts.
async fn legitimate_login(server: SocketAddr) -> (Duration, u64) {
    let started = Instant::now();
    let mut refused = 0;
    loop {
        if let Ok(mut stream) = connect_from(Ipv4Addr::new(127, 0, 0, 99), server).await {
            if let Some(()) = log_in(&mut stream).await {
                return (started.elapsed(), refused);
            }
        }
        refused += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads the login prompt, sends credentials, waits for the shell prompt, logs out.
async fn log_in(stream: &mut TcpStream) -> Option<()> {
    read_until(stream, b"login: ").await?;
    stream.write_all(b"root\r\nxc3511\r\n").await.ok()?;
    read_until(stream, b"~ # ").await?;
    stream.write_all(b"exit\r\n").await.ok()?;
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest).await;
    Some(())
}

async fn read_until(stream: &mut TcpStream, wanted: &[u8]) -> Option<()> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    while !seen.windows(wanted.len()).any(|window| window == wanted) {
        let read = stream.read(&mut buf).await.ok().filter(|&read| read > 0)?;
        seen.extend_from_slice(&buf[..read]);
    }
    Some(())
}

/// Samples the resident memory and open connections until `done`; returns the peaks.
async fn sample(stats: Arc<ServerStats>, done: Arc<AtomicBool>) -> (u64, u64) {
    let (mut rss, mut open) = (0, 0);
    while !done.load(Ordering::Relaxed) {
        rss = rss.max(vm_rss_kib());
        open = open.max(stats.snapshot().open);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (rss, open)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_capped_and_a_legitimate_client_gets_in() {
    tokio::time::timeout(Duration::from_secs(20), flood())
        .await
        .expect("flood test took over 20 s");
}

async fn flood() {
    let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let server = listener.local_addr().unwrap();
    let limits = Limits {
        max_connections: MAX_CONNECTIONS,
        max_per_source: MAX_PER_SOURCE,
        idle_timeout: IDLE_TIMEOUT,
        session_timeout: Duration::from_secs(10),
        shutdown_grace: Duration::from_millis(500),
        ..Limits::default()
    };
    let stats = Arc::new(ServerStats::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let serving = tokio::spawn(serve(
        vec![Service::telnet(listener)],
        limits,
        PasswordPolicy::Omit,
        Arc::new(Discard),
        stats.clone(),
        shutdown,
    ));

    let rss_before = vm_rss_kib();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(sample(stats.clone(), done.clone()));
    let started = Instant::now();

    // The heavy source: its connections open one after the other, then are held.
    let mut heavy = JoinSet::new();
    for _ in 0..HEAVY_SOURCE_CONNECTIONS {
        let (opened_tx, opened_rx) = oneshot::channel();
        heavy.spawn(async move {
            let stream = connect_from(Ipv4Addr::new(127, 0, 0, 2), server).await;
            let _ = opened_tx.send(());
            hold(stream).await
        });
        let _ = opened_rx.await;
    }
    // Everyone else at once.
    let mut others = JoinSet::new();
    for source in 3..3 + SOURCES {
        for _ in 0..PER_SOURCE {
            others.spawn(flood_connection(Ipv4Addr::new(127, 0, 0, source), server));
        }
    }
    landed(&stats).await;
    let flood_opened = started.elapsed();

    let (legit_took, legit_refused) = legitimate_login(server).await;
    let heavy = collect(heavy).await;
    let others = collect(others).await;
    let flood_done = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let (rss_peak, open_peak) = sampler.await.unwrap();

    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    let snapshot = stats.snapshot();
    let report = Report {
        heavy,
        others,
        legit_took,
        legit_refused,
        rss_before,
        rss_peak,
        open_peak,
        flood_opened,
        flood_done,
    };
    report.print(&snapshot);
    report.check(&snapshot);
}

/// Waits until the server has accepted or refused every flood connection.
async fn landed(stats: &ServerStats) {
    loop {
        let s = stats.snapshot();
        if s.accepted + s.refused_total_cap + s.refused_source_cap >= FLOOD as u64 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn collect(mut set: JoinSet<Outcome>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    while let Some(outcome) = set.join_next().await {
        outcomes.push(outcome.unwrap());
    }
    outcomes
}

struct Report {
    heavy: Vec<Outcome>,
    others: Vec<Outcome>,
    legit_took: Duration,
    legit_refused: u64,
    rss_before: u64,
    rss_peak: u64,
    open_peak: u64,
    flood_opened: Duration,
    flood_done: Duration,
}

fn served(outcomes: &[Outcome]) -> Vec<Duration> {
    outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Served { closed_after } => Some(*closed_after),
            Outcome::Refused => None,
        })
        .collect()
}

impl Report {
    fn print(&self, snapshot: &hirundo_honeypot::server::StatsSnapshot) {
        eprintln!(
            "flood: {FLOOD} connections landed in {:?}; served {} (heavy source {}), refused {}; \
             legitimate login after {:?} ({} refused attempts); all closed after {:?}; \
             RSS {} KiB -> peak {} KiB (+{} KiB); sampled open peak {}; server {snapshot:?}",
            self.flood_opened,
            served(&self.heavy).len() + served(&self.others).len(),
            served(&self.heavy).len(),
            FLOOD - served(&self.heavy).len() - served(&self.others).len(),
            self.legit_took,
            self.legit_refused,
            self.flood_done,
            self.rss_before,
            self.rss_peak,
            self.rss_peak.saturating_sub(self.rss_before),
            self.open_peak,
        );
    }

    fn check(&self, snapshot: &hirundo_honeypot::server::StatsSnapshot) {
        let heavy = served(&self.heavy);
        let others = served(&self.others);
        let flood_served = (heavy.len() + others.len()) as u64;
        let flood_refused = FLOOD as u64 - flood_served;
        // The flood landed well within the idle timeout, so only the first 64 were served.
        assert!(
            self.flood_opened < IDLE_TIMEOUT / 2,
            "flood took {:?} to land",
            self.flood_opened
        );
        assert_eq!(flood_served, MAX_CONNECTIONS as u64);
        // The caps: reached, never passed.
        assert_eq!(
            heavy.len(),
            MAX_PER_SOURCE,
            "the heavy source holds exactly its cap"
        );
        assert_eq!(snapshot.peak_open, MAX_CONNECTIONS as u64);
        assert!(self.open_peak <= MAX_CONNECTIONS as u64);
        assert!(snapshot.refused_source_cap >= (HEAVY_SOURCE_CONNECTIONS - MAX_PER_SOURCE) as u64);
        assert!(snapshot.refused_total_cap > 0);
        // Every connection counted once: served by a session or refused at a cap.
        assert_eq!(snapshot.accepted, flood_served + 1);
        assert_eq!(
            snapshot.refused_total_cap + snapshot.refused_source_cap,
            flood_refused + self.legit_refused
        );
        // Responsive: the legitimate client was refused while the flood held every slot, and
        // got in once the idle timeout freed them.
        assert!(self.legit_refused > 0);
        assert!(
            self.legit_took < LEGIT_LOGIN_WITHIN,
            "legitimate login took {:?}",
            self.legit_took
        );
        // Every served flood connection was closed by the idle timeout, none before it.
        assert_eq!(snapshot.timed_out, flood_served);
        for closed_after in heavy.iter().chain(&others) {
            let early = IDLE_TIMEOUT - Duration::from_millis(100);
            assert!(
                *closed_after >= early && *closed_after < IDLE_TIMEOUT * 3,
                "{closed_after:?}"
            );
        }
        assert_eq!(snapshot.open, 0);
        // Memory: server and 400 clients together.
        assert!(self.rss_peak.saturating_sub(self.rss_before) < RSS_CAP_KIB);
    }
}

//! One client connection: feeds what it reads to its [`Session`], writes the answers, turns
//! findings into events, and ends on the session's word, a timeout, the input cap or an error.
//!
//! Memory per connection is bounded: a fixed read buffer, the session's own bounded state,
//! and the output of one read (bounded by the session).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use super::admission::Slot;
use super::stats::bump;
use super::Shared;
use crate::{Event, EventKind, Finding, Flow, Protocol, Session};

/// Bytes read at once. Telnet clients send a few bytes at a time and a TDS LOGIN7 is well
/// under 4 KiB; a bigger read would only cost memory per connection.
pub const READ_BUFFER: usize = 4096;

/// Why a connection ended, for the log and the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The session said goodbye.
    Session,
    /// The client closed.
    Client,
    TimedOut,
    InputCap,
    Error,
}

/// One accepted connection and what it needs.
pub struct Connection {
    pub stream: TcpStream,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub protocol: Protocol,
    pub shared: Arc<Shared>,
    /// Held for the life of the connection: dropping it frees the cap.
    pub _slot: Slot,
}

impl Connection {
    /// Runs the session to its end.
    pub async fn run(mut self, mut session: Box<dyn Session>) {
        let deadline = Instant::now() + self.shared.limits.session_timeout;
        self.record(Finding::new(EventKind::Connect));
        let mut out = Vec::new();
        session.start(&mut out);
        let end = match self.send(&out, deadline).await {
            Ok(()) => self.converse(session.as_mut(), deadline).await,
            Err(end) => end,
        };
        match end {
            End::TimedOut => bump(&self.shared.stats.timed_out),
            End::InputCap => bump(&self.shared.stats.input_capped),
            End::Session | End::Client | End::Error => {}
        }
        // A FIN after the last answer, so the client reads it all; not waited for long.
        let _ = timeout_at(self.write_deadline(deadline), self.stream.shutdown()).await;
        tracing::debug!(src = %self.src, dst = %self.dst, protocol = self.protocol.as_str(), ?end, "connection closed");
    }

    async fn converse(&mut self, session: &mut dyn Session, deadline: Instant) -> End {
        let mut buf = [0u8; READ_BUFFER];
        let (mut out, mut found) = (Vec::new(), Vec::new());
        let mut allowance = self.shared.limits.max_input_bytes;
        loop {
            let read = match self.read(&mut buf, deadline).await {
                Ok(0) => return End::Client,
                Ok(read) => read.min(allowance),
                Err(end) => return end,
            };
            allowance -= read;
            out.clear();
            let flow = session.receive(&buf[..read], &mut out, &mut found);
            found.drain(..).for_each(|finding| self.record(finding));
            if let Err(end) = self.send(&out, deadline).await {
                return end;
            }
            if flow == Flow::Close {
                return End::Session;
            }
            if allowance == 0 {
                return End::InputCap;
            }
        }
    }

    /// One read, bounded by the idle timeout and what is left of the session's time.
    async fn read(&mut self, buf: &mut [u8], deadline: Instant) -> Result<usize, End> {
        let idle = Instant::now() + self.shared.limits.idle_timeout;
        match timeout_at(idle.min(deadline), self.stream.read(buf)).await {
            Ok(Ok(read)) => Ok(read),
            Ok(Err(error)) => Err(self.io_error(&error)),
            Err(_) => Err(End::TimedOut),
        }
    }

    /// Writes all of `out`, bounded by the write timeout: a client that does not read cannot
    /// hold the task (the session's output is bounded, so nothing piles up meanwhile).
    async fn send(&mut self, out: &[u8], deadline: Instant) -> Result<(), End> {
        if out.is_empty() {
            return Ok(());
        }
        match timeout_at(self.write_deadline(deadline), self.stream.write_all(out)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(self.io_error(&error)),
            Err(_) => Err(End::TimedOut),
        }
    }

    fn write_deadline(&self, deadline: Instant) -> Instant {
        (Instant::now() + self.shared.limits.write_timeout).min(deadline)
    }

    fn io_error(&self, error: &io::Error) -> End {
        tracing::debug!(src = %self.src, %error, "connection error");
        End::Error
    }

    /// Hands a finding to the sink as an event, its password under the operator's policy.
    fn record(&self, mut finding: Finding) {
        finding.password = self.shared.passwords.apply(finding.password.take());
        self.shared.sink.record(Event {
            time_ns: now_ns(),
            src: self.src,
            dst: self.dst,
            protocol: self.protocol,
            finding,
        });
        bump(&self.shared.stats.events);
    }
}

/// Nanoseconds since the Unix epoch, UTC (0 if the clock is before 1970).
fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
        })
}

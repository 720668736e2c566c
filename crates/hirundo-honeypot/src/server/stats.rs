//! Counters the server keeps for the operator: the CLI logs them and may expose them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared with the caller of [`serve`](super::serve) through an `Arc`.
/// Relaxed atomics: each is exact, but a reader may see one updated before another.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted and given a session.
    pub accepted: AtomicU64,
    /// Connections closed at once because [`Limits::max_connections`](super::Limits) were open.
    pub refused_total_cap: AtomicU64,
    /// Connections closed at once because their source had
    /// [`Limits::max_per_source`](super::Limits) open.
    pub refused_source_cap: AtomicU64,
    /// Connections ended by the idle or the session timeout (reads and writes).
    pub timed_out: AtomicU64,
    /// Connections ended because they sent [`Limits::max_input_bytes`](super::Limits).
    pub input_capped: AtomicU64,
    /// Events handed to the sink.
    pub events: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// The most connections open at once.
    pub peak_open: AtomicU64,
}

/// The counters at one moment, as plain numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub accepted: u64,
    pub refused_total_cap: u64,
    pub refused_source_cap: u64,
    pub timed_out: u64,
    pub input_capped: u64,
    pub events: u64,
    pub open: u64,
    pub peak_open: u64,
}

impl ServerStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        StatsSnapshot {
            accepted: get(&self.accepted),
            refused_total_cap: get(&self.refused_total_cap),
            refused_source_cap: get(&self.refused_source_cap),
            timed_out: get(&self.timed_out),
            input_capped: get(&self.input_capped),
            events: get(&self.events),
            open: get(&self.open),
            peak_open: get(&self.peak_open),
        }
    }
}

pub(super) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

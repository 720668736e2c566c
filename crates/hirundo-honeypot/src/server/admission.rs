//! The connection caps: at most so many open in all and from one source. A [`Slot`] is one
//! admitted connection; dropping it frees the slot, whichever way the connection ended.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use super::stats::{bump, ServerStats};

/// Why a connection was turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TotalCap,
    SourceCap,
}

/// Open connections, in all and per source. The map holds only sources with a connection
/// open, so it is bounded by the total cap.
#[derive(Debug, Default)]
struct Counts {
    open: usize,
    per_source: HashMap<IpAddr, usize>,
}

/// The caps and the counts behind them.
#[derive(Debug)]
pub struct Admission {
    max_connections: usize,
    max_per_source: usize,
    counts: Mutex<Counts>,
    stats: Arc<ServerStats>,
}

/// One admitted connection.
#[derive(Debug)]
pub struct Slot {
    admission: Arc<Admission>,
    source: IpAddr,
}

impl Admission {
    pub fn new(
        max_connections: usize,
        max_per_source: usize,
        stats: Arc<ServerStats>,
    ) -> Admission {
        Admission {
            max_connections,
            max_per_source,
            counts: Mutex::new(Counts::default()),
            stats,
        }
    }

    /// Takes a slot for a client at `ip`, or says which cap is full (and counts the refusal).
    pub fn admit(self: &Arc<Admission>, ip: IpAddr) -> Result<Slot, Refusal> {
        let source = source_key(ip);
        match self.try_take(source) {
            Ok(()) => Ok(Slot {
                admission: Arc::clone(self),
                source,
            }),
            Err(refusal) => Err(self.refused(refusal)),
        }
    }

    fn try_take(&self, source: IpAddr) -> Result<(), Refusal> {
        // Nothing in these sections panics, but a poisoned lock must not stop the server.
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        // The source cap first: a source over its cap is told so even when all are full,
        // which tells the operator who floods.
        let from_source = counts.per_source.get(&source).copied().unwrap_or(0);
        if from_source >= self.max_per_source {
            return Err(Refusal::SourceCap);
        }
        if counts.open >= self.max_connections {
            return Err(Refusal::TotalCap);
        }
        counts.open += 1;
        *counts.per_source.entry(source).or_insert(0) += 1;
        self.stats.open.store(counts.open as u64, Ordering::Relaxed);
        self.stats
            .peak_open
            .fetch_max(counts.open as u64, Ordering::Relaxed);
        Ok(())
    }

    fn refused(&self, refusal: Refusal) -> Refusal {
        match refusal {
            Refusal::TotalCap => bump(&self.stats.refused_total_cap),
            Refusal::SourceCap => bump(&self.stats.refused_source_cap),
        }
        refusal
    }

    fn release(&self, source: IpAddr) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.open = counts.open.saturating_sub(1);
        if let Some(count) = counts.per_source.get_mut(&source) {
            *count -= 1;
            if *count == 0 {
                counts.per_source.remove(&source);
            }
        }
        self.stats.open.store(counts.open as u64, Ordering::Relaxed);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.admission.release(self.source);
    }
}

/// Whom the per-source cap counts: an IPv4 address, or an IPv6 /64 (one subscriber's
/// usual allocation: counting single IPv6 addresses would let one host take every slot).
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(total: usize, per_source: usize) -> Arc<Admission> {
        Arc::new(Admission::new(total, per_source, Arc::default()))
    }

    #[test]
    fn caps_hold_and_slots_free() {
        let admission = admission(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refusal::SourceCap);
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refusal::TotalCap);
        drop(first);
        assert!(admission.admit(b).is_ok());
        let stats = admission.stats.snapshot();
        assert_eq!(
            (
                stats.refused_source_cap,
                stats.refused_total_cap,
                stats.peak_open
            ),
            (1, 1, 3)
        );
    }

    #[test]
    fn map_is_emptied() {
        let admission = admission(8, 8);
        drop(admission.admit("192.0.2.1".parse().unwrap()).unwrap());
        let counts = admission.counts.lock().unwrap();
        assert_eq!((counts.open, counts.per_source.len()), (0, 0));
    }

    #[test]
    fn ipv6_counts_per_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(source_key(one), source_key(two));
        assert_eq!(
            source_key("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}

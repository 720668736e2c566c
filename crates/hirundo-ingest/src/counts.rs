//! The accounting of one capture file: every frame ends up in exactly one bucket (a stored
//! packet, a non-IP frame, a malformed frame, or a frame on an unsupported link type).

use std::collections::{BTreeMap, HashMap};

use hirundo_wire::{Fragment, Malformed, NonIpKind, PacketRepr};

const NS_PER_HOUR: i64 = 3_600_000_000_000;

/// Counts kept while reading one file. Keys are the wire crate's small `Copy` types, turned
/// into labels only once at the end so that counting costs no allocation.
#[derive(Debug, Default)]
pub struct FrameCounts {
    pub frames: u64,
    pub packets: u64,
    pub later_fragments: u64,
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    non_ip: HashMap<NonIpKind, u64>,
    malformed: HashMap<Malformed, u64>,
    /// Malformed frames per UTC hour (hours since the epoch): reports count them per period.
    pub malformed_hours: BTreeMap<i64, u64>,
    unsupported: HashMap<u32, u64>,
}

impl FrameCounts {
    /// A packet that will be stored.
    pub fn packet(&mut self, ts_ns: i64, packet: &PacketRepr) {
        self.packets += 1;
        if packet.fragment == Fragment::Later {
            self.later_fragments += 1;
        }
        self.first_ts_ns = Some(self.first_ts_ns.map_or(ts_ns, |t| t.min(ts_ns)));
        self.last_ts_ns = Some(self.last_ts_ns.map_or(ts_ns, |t| t.max(ts_ns)));
    }

    pub fn non_ip(&mut self, kind: NonIpKind) {
        *self.non_ip.entry(kind).or_default() += 1;
    }

    pub fn malformed(&mut self, ts_ns: i64, reason: Malformed) {
        *self.malformed.entry(reason).or_default() += 1;
        *self
            .malformed_hours
            .entry(ts_ns.div_euclid(NS_PER_HOUR))
            .or_default() += 1;
    }

    pub fn unsupported_link(&mut self, linktype: u32) {
        *self.unsupported.entry(linktype).or_default() += 1;
    }

    pub fn non_ip_labels(&self) -> BTreeMap<String, u64> {
        labelled(&self.non_ip, |k| k.to_string())
    }

    pub fn malformed_labels(&self) -> BTreeMap<String, u64> {
        labelled(&self.malformed, |k| k.as_str().to_owned())
    }

    pub fn unsupported_labels(&self) -> BTreeMap<String, u64> {
        labelled(&self.unsupported, |k| format!("linktype {k}"))
    }
}

fn labelled<K>(counts: &HashMap<K, u64>, label: impl Fn(&K) -> String) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (k, n) in counts {
        *out.entry(label(k)).or_default() += n;
    }
    out
}

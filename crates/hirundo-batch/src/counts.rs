//! The accounting of one capture file: every frame ends up in exactly one bucket (a stored
//! packet, a non-IP frame, a malformed frame, or a frame on an unsupported link type).
//!
//! [`FrameCounts`] is kept while reading; [`Accounting`] is its labelled form, the one a
//! batch header carries and the store records.

use std::collections::{BTreeMap, HashMap};

use hirundo_wire::{Fragment, Malformed, NonIpKind, PacketRepr};
use serde::{Deserialize, Serialize};

const NS_PER_HOUR: i64 = 3_600_000_000_000;

/// Counts kept while reading one file (or the frames of one batch). Keys are the wire crate's small `Copy` types, turned
/// into labels only once at the end so that counting costs no allocation.
#[derive(Debug, Default)]
pub struct FrameCounts {
    /// Frames read.
    pub frames: u64,
    /// IP packets, later fragments included.
    pub packets: u64,
    /// Of `packets`, non-first fragments.
    pub later_fragments: u64,
    /// Timestamp of the earliest packet (ns since the epoch, UTC).
    pub first_ts_ns: Option<i64>,
    /// Timestamp of the latest packet.
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

    /// A frame that carries something other than IP.
    pub fn non_ip(&mut self, kind: NonIpKind) {
        *self.non_ip.entry(kind).or_default() += 1;
    }

    /// A frame whose headers could not be decoded.
    pub fn malformed(&mut self, ts_ns: i64, reason: Malformed) {
        *self.malformed.entry(reason).or_default() += 1;
        *self
            .malformed_hours
            .entry(ts_ns.div_euclid(NS_PER_HOUR))
            .or_default() += 1;
    }

    /// A frame on a link type the decoder does not know.
    pub fn unsupported_link(&mut self, linktype: u32) {
        *self.unsupported.entry(linktype).or_default() += 1;
    }

    /// Non-IP frames per link-level type ("ethernet/0x0806").
    pub fn non_ip_labels(&self) -> BTreeMap<String, u64> {
        labelled(&self.non_ip, |k| k.to_string())
    }

    /// Malformed frames per reason.
    pub fn malformed_labels(&self) -> BTreeMap<String, u64> {
        labelled(&self.malformed, |k| k.as_str().to_owned())
    }

    /// Frames on unsupported link types, per link type ("linktype 105").
    pub fn unsupported_labels(&self) -> BTreeMap<String, u64> {
        labelled(&self.unsupported, |k| format!("linktype {k}"))
    }

    /// The counts with their labels, as a batch header and the store keep them.
    pub fn accounting(&self) -> Accounting {
        Accounting {
            frames: self.frames,
            packets: self.packets,
            later_fragments: self.later_fragments,
            first_ts_ns: self.first_ts_ns,
            last_ts_ns: self.last_ts_ns,
            non_ip: self.non_ip_labels(),
            malformed: self.malformed_labels(),
            malformed_hours: self.malformed_hours.clone(),
            unsupported_link: self.unsupported_labels(),
        }
    }
}

/// Where every frame went, labelled: [`FrameCounts`] in the form that is sent and stored.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Accounting {
    /// Frames read.
    pub frames: u64,
    /// IP packets, later fragments included.
    pub packets: u64,
    /// Of `packets`, non-first fragments (no transport header).
    pub later_fragments: u64,
    /// Timestamp of the earliest packet (ns since the epoch, UTC).
    pub first_ts_ns: Option<i64>,
    /// Timestamp of the latest packet.
    pub last_ts_ns: Option<i64>,
    /// Non-IP frames per link-level type ("ethernet/0x0806").
    pub non_ip: BTreeMap<String, u64>,
    /// Malformed frames per reason.
    pub malformed: BTreeMap<String, u64>,
    /// Malformed frames per UTC hour (hours since the epoch).
    pub malformed_hours: BTreeMap<i64, u64>,
    /// Frames on unsupported link types, per link type ("linktype 105").
    pub unsupported_link: BTreeMap<String, u64>,
}

fn labelled<K>(counts: &HashMap<K, u64>, label: impl Fn(&K) -> String) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (k, n) in counts {
        *out.entry(label(k)).or_default() += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hirundo_wire::LinkType;

    #[test]
    fn accounting_labels_every_bucket() {
        let mut counts = FrameCounts {
            frames: 6,
            ..FrameCounts::default()
        };
        let arp = NonIpKind {
            link: LinkType::Ethernet,
            protocol: 0x0806,
        };
        counts.non_ip(arp);
        counts.non_ip(arp);
        counts.malformed(-1, Malformed::BadIpVersion);
        counts.malformed(NS_PER_HOUR, Malformed::BadIpVersion);
        counts.unsupported_link(105);
        let accounting = counts.accounting();
        assert_eq!(accounting.frames, 6);
        assert_eq!(accounting.non_ip, BTreeMap::from([(arp.to_string(), 2)]));
        assert_eq!(
            accounting.malformed,
            BTreeMap::from([(Malformed::BadIpVersion.as_str().to_owned(), 2)])
        );
        assert_eq!(
            accounting.malformed_hours,
            BTreeMap::from([(-1, 1), (1, 1)])
        );
        assert_eq!(
            accounting.unsupported_link,
            BTreeMap::from([("linktype 105".to_owned(), 1)])
        );
        assert_eq!((accounting.packets, accounting.first_ts_ns), (0, None));
    }
}

//! Synthetic darknet traffic for hirundo's benchmarks and tests.
//!
//! A network telescope sees unsolicited packets only: scans, probes and the replies of
//! DoS victims to packets spoofed with the telescope's addresses. [`write_pcap`] writes
//! a classic pcap of such traffic, fast enough (millions of packets per second) to
//! feed ingest benchmarks, and deterministic, so a test can rely on its exact bytes:
//!
//! - about 85% TCP SYN probes from 50,000 public sources with Zipf-like activity,
//!   sent by Mirai (sequence number = destination address, ports 23 and 2323), ZMap
//!   (IP ID 54321), masscan (IP ID = destination ^ port ^ sequence), and ordinary
//!   Linux and Windows stacks, to a TSUBAME-like port mix with a long random tail;
//! - about 9% UDP probes with realistic payloads (DNS, NTP, SNMP, SSDP, SIP,
//!   memcached), 3% ICMP echo requests;
//! - about 3% backscatter from a few victims: SYN-ACK, RST and ICMP port unreachable.
//!
//! Destinations are uniform over the darknet prefix, timestamps spread evenly over
//! the configured span, and every checksum is valid. The [`SynthSummary`] counts what
//! was written, with exact per-tool ground truth: a probe that would also carry
//! another tool's fingerprint by chance is never emitted.
//!
//! ```
//! use hirundo_sim::{write_pcap, Sender, SynthConfig};
//!
//! let cfg = SynthConfig { packets: 10_000, ..SynthConfig::default() };
//! let mut pcap = Vec::new();
//! let summary = write_pcap(&mut pcap, &cfg)?;
//!
//! assert_eq!(summary.packets, 10_000);
//! assert_eq!(pcap.len() as u64, 24 + 16 * summary.packets + summary.bytes);
//! assert!(summary.per_dst_port[&(6, 23)] > summary.per_dst_port[&(6, 80)]);
//! assert!(summary.per_sender[&Sender::Mirai] > summary.per_sender[&Sender::Zmap]);
//! # Ok::<(), std::io::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod capture;
mod clock;
mod frame;
mod pcap;
mod population;
// The scenario format and truth.json are documented key by key in docs/SCENARIO.md, which
// is what users read; repeating it on every field would only let the two drift apart.
#[allow(missing_docs)]
pub mod scenario;
mod simulate;
mod traffic;
#[allow(missing_docs)]
pub mod truth;
mod weighted;
mod world;

pub use scenario::{Scenario, ScenarioError, DEFAULT_SCENARIO};
pub use simulate::{simulate, Geography, SimulateError, SimulateOptions};
pub use truth::Truth;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::Ipv4Addr;

use traffic::{Class, Emitted, Generator};

/// Parameters of a synthetic capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of frames to write.
    pub packets: u64,
    /// Seed of every random choice: the same config gives the same bytes.
    pub seed: u64,
    /// Time of the capture's start, nanoseconds since the Unix epoch.
    pub start_ns: i64,
    /// Length of the capture; timestamps lie in `[start_ns, start_ns + span_ns)`.
    pub span_ns: i64,
    /// The darknet prefix that receives the traffic (host bits are ignored).
    pub dst_net: (Ipv4Addr, u8),
}

impl Default for SynthConfig {
    /// A million packets over the first day of TSUBAME's 2019Q4 to 203.0.113.0/24
    /// (TEST-NET-3: the capture is only a file, never sent).
    fn default() -> Self {
        SynthConfig {
            packets: 1_000_000,
            seed: 1,
            start_ns: 1_569_888_000 * NANOS_PER_SECOND, // 2019-10-01T00:00:00Z
            span_ns: 86_400 * NANOS_PER_SECOND,
            dst_net: (Ipv4Addr::new(203, 0, 113, 0), 24),
        }
    }
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

impl SynthConfig {
    /// Checks that the prefix is a prefix and that every timestamp fits classic pcap's
    /// unsigned 32-bit seconds.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.dst_net.1 > 32 {
            return Err(ConfigError::PrefixLength(self.dst_net.1));
        }
        if self.span_ns < 0 {
            return Err(ConfigError::NegativeSpan(self.span_ns));
        }
        let end = self.start_ns.checked_add(self.span_ns);
        let fits = |ns: i64| (0..=i64::from(u32::MAX)).contains(&(ns / NANOS_PER_SECOND));
        match end {
            Some(end) if self.start_ns >= 0 && fits(end) => Ok(()),
            _ => Err(ConfigError::TimeOutOfRange {
                start_ns: self.start_ns,
                span_ns: self.span_ns,
            }),
        }
    }

    /// The darknet as (network address, netmask).
    fn darknet(&self) -> (u32, u32) {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.dst_net.1))
            .unwrap_or(0);
        (u32::from(self.dst_net.0) & mask, mask)
    }
}

/// Why a [`SynthConfig`] cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The prefix length exceeds 32.
    #[error("darknet prefix length {0} is longer than 32 bits")]
    PrefixLength(u8),
    /// The span is negative.
    #[error("capture span {0} ns is negative")]
    NegativeSpan(i64),
    /// Some timestamp falls outside 1970..2106, which classic pcap cannot store.
    #[error(
        "capture from {start_ns} ns for {span_ns} ns falls outside pcap's 1970..2106 timestamps"
    )]
    TimeOutOfRange {
        /// The configured start.
        start_ns: i64,
        /// The configured span.
        span_ns: i64,
    },
}

/// The tool or stack that sent a TCP SYN probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sender {
    /// Mirai and descendants: sequence number = destination address, ports 23/2323,
    /// random window, no options, initial TTL 64.
    Mirai,
    /// ZMap: IP ID 54321, window 65535, MSS 1460 the only option, initial TTL 255.
    Zmap,
    /// masscan: IP ID = (destination ^ port ^ sequence) & 0xffff, window 1024, no
    /// options, one source port per source, initial TTL 255.
    Masscan,
    /// A Linux connect(): DF, window 64240, MSS/SACK/timestamps/NOP/window scale 7,
    /// initial TTL 64.
    Linux,
    /// A Windows connect(): DF, window 8192, MSS/NOP/window scale 8/NOP/NOP/SACK,
    /// initial TTL 128.
    Windows,
}

impl Sender {
    /// Every sender, in order.
    pub const ALL: [Sender; 5] = [
        Sender::Mirai,
        Sender::Zmap,
        Sender::Masscan,
        Sender::Linux,
        Sender::Windows,
    ];
}

/// What [`write_pcap`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthSummary {
    /// Frames written.
    pub packets: u64,
    /// Bytes of the frames, without pcap's file and record headers.
    pub bytes: u64,
    /// Frames by (IP protocol, destination port); ICMP counts under port 0. Only
    /// non-zero counts are present.
    pub per_dst_port: BTreeMap<(u8, u16), u64>,
    /// TCP SYN probes (SYN alone; backscatter SYN-ACKs are not counted here).
    pub tcp_syn: u64,
    /// UDP probes.
    pub udp: u64,
    /// ICMP echo requests.
    pub icmp: u64,
    /// Replies of DoS victims: SYN-ACK, RST and ICMP port unreachable.
    pub backscatter: u64,
    /// TCP SYN probes by sender (non-zero counts only); they add up to `tcp_syn`.
    pub per_sender: BTreeMap<Sender, u64>,
}

/// Bytes buffered before a write: large enough that the writer's per-call cost
/// vanishes, small enough to stay in the core's L2 cache.
const CHUNK: usize = 64 * 1024;

/// Writes a classic pcap (nanosecond magic `0xa1b23c4d`, LINKTYPE_ETHERNET) of
/// `cfg.packets` frames with non-decreasing timestamps across the span.
///
/// An invalid config is an [`io::ErrorKind::InvalidInput`] error wrapping a
/// [`ConfigError`], reported before anything is written.
pub fn write_pcap(out: &mut impl Write, cfg: &SynthConfig) -> io::Result<SynthSummary> {
    cfg.validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut generator = Generator::new(cfg);
    let mut tally = Tally::new();
    // Frames are built in place in this one reused buffer: no per-packet allocation.
    let mut chunk = Vec::with_capacity(2 * CHUNK);
    chunk.extend_from_slice(&pcap::file_header(pcap::Resolution::Nanos));
    for _ in 0..cfg.packets {
        let record = chunk.len();
        chunk.extend_from_slice(&[0; pcap::RECORD_LEN]);
        let packet = generator.next(&mut chunk);
        let len = packet.len;
        pcap::fill_record(
            &mut chunk[record..],
            packet.ts_ns,
            len,
            len,
            pcap::Resolution::Nanos,
        );
        tally.add(&packet);
        if chunk.len() >= CHUNK {
            out.write_all(&chunk)?;
            chunk.clear();
        }
    }
    out.write_all(&chunk)?;
    Ok(tally.into_summary())
}

/// Counters kept in flat arrays while writing, turned into maps at the end.
struct Tally {
    summary: SynthSummary,
    tcp_ports: Vec<u64>,
    udp_ports: Vec<u64>,
    icmp: u64,
    senders: [u64; Sender::ALL.len()],
}

impl Tally {
    fn new() -> Self {
        Tally {
            summary: SynthSummary::default(),
            tcp_ports: vec![0; 1 << 16],
            udp_ports: vec![0; 1 << 16],
            icmp: 0,
            senders: [0; Sender::ALL.len()],
        }
    }

    fn add(&mut self, packet: &Emitted) {
        self.summary.packets += 1;
        self.summary.bytes += packet.len as u64;
        match packet.proto {
            frame::TCP => self.tcp_ports[usize::from(packet.dport)] += 1,
            frame::UDP => self.udp_ports[usize::from(packet.dport)] += 1,
            _ => self.icmp += 1,
        }
        match packet.class {
            Class::Syn(sender) => {
                self.summary.tcp_syn += 1;
                self.senders[sender as usize] += 1;
            }
            Class::Udp => self.summary.udp += 1,
            Class::Icmp => self.summary.icmp += 1,
            Class::Backscatter => self.summary.backscatter += 1,
        }
    }

    fn into_summary(self) -> SynthSummary {
        let mut summary = self.summary;
        let ports = |proto: u8, counts: Vec<u64>| {
            counts
                .into_iter()
                .enumerate()
                .filter(|&(_, n)| n > 0)
                .map(move |(port, n)| ((proto, port as u16), n))
        };
        summary
            .per_dst_port
            .extend(ports(frame::TCP, self.tcp_ports));
        summary
            .per_dst_port
            .extend(ports(frame::UDP, self.udp_ports));
        summary
            .per_dst_port
            .extend((self.icmp > 0).then_some(((frame::ICMP, 0), self.icmp)));
        let senders = Sender::ALL
            .into_iter()
            .zip(self.senders)
            .filter(|&(_, n)| n > 0);
        summary.per_sender.extend(senders);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert_eq!(SynthConfig::default().validate(), Ok(()));
    }

    #[test]
    fn invalid_configs_are_refused_before_writing() {
        let cases = [
            (
                SynthConfig {
                    dst_net: (Ipv4Addr::UNSPECIFIED, 33),
                    ..Default::default()
                },
                ConfigError::PrefixLength(33),
            ),
            (
                SynthConfig {
                    span_ns: -1,
                    ..Default::default()
                },
                ConfigError::NegativeSpan(-1),
            ),
            (
                SynthConfig {
                    start_ns: -1,
                    span_ns: 5,
                    ..Default::default()
                },
                ConfigError::TimeOutOfRange {
                    start_ns: -1,
                    span_ns: 5,
                },
            ),
            (
                SynthConfig {
                    start_ns: (1 << 32) * NANOS_PER_SECOND,
                    span_ns: 0,
                    ..Default::default()
                },
                ConfigError::TimeOutOfRange {
                    start_ns: (1 << 32) * NANOS_PER_SECOND,
                    span_ns: 0,
                },
            ),
        ];
        for (cfg, expected) in cases {
            assert_eq!(cfg.validate(), Err(expected.clone()));
            let mut out = Vec::new();
            let err = write_pcap(&mut out, &cfg).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(err.to_string(), expected.to_string());
            assert!(out.is_empty());
        }
    }

    #[test]
    fn darknet_masks_host_bits() {
        let cfg = |prefix| SynthConfig {
            dst_net: (Ipv4Addr::new(192, 0, 2, 77), prefix),
            ..Default::default()
        };
        assert_eq!(cfg(24).darknet(), (0xc000_0200, 0xffff_ff00));
        assert_eq!(cfg(32).darknet(), (0xc000_024d, u32::MAX));
        assert_eq!(cfg(0).darknet(), (0, 0));
    }

    #[test]
    fn every_sender_appears_and_they_add_up_to_tcp_syn() {
        let cfg = SynthConfig {
            packets: 20_000,
            ..Default::default()
        };
        let summary = write_pcap(&mut io::sink(), &cfg).unwrap();
        assert_eq!(summary.per_sender.values().sum::<u64>(), summary.tcp_syn);
        assert_eq!(summary.per_sender.len(), Sender::ALL.len());
    }
}

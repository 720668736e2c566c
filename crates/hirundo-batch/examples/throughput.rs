//! Encode and decode speed, and compressed size, of a batch of darknet-like records.
//!
//! `cargo run --release -p hirundo-batch --example throughput [RECORDS]` (default 1 M).
//!
//! The records imitate what a telescope sees (as hirundo-sim does): mostly TCP SYN probes
//! from a Zipf-like population of sources to a /16, with the option layouts of Linux,
//! Windows and masscan, some UDP and ICMP probes, a little backscatter and IPv6, one packet
//! per microsecond on average. Sequence numbers, IP IDs and source ports are random, as
//! they are on the wire, so they are what zstd cannot shrink.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use hirundo_batch::{decode, encode, Accounting, BatchHeader, BatchId, Limits, Record};
use hirundo_wire::{Fragment, PacketRepr, TcpOptionsSummary};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SOURCES: u32 = 50_000;
const TELESCOPE: u32 = u32::from_be_bytes([203, 0, 0, 0]);
const SYN_PORTS: [u16; 8] = [23, 2323, 445, 22, 80, 8080, 3389, 443];
const UDP_PORTS: [u16; 6] = [53, 123, 161, 1900, 5060, 11211];

fn main() {
    let n = std::env::args()
        .nth(1)
        .map_or(Ok(1_000_000), |arg| arg.parse())
        .expect("RECORDS must be a number");
    let mut rng = StdRng::seed_from_u64(7);
    let mut ts_ns = 1_700_000_000_000_000_000;
    let records: Vec<Record> = (0..n)
        .map(|_| {
            ts_ns += rng.random_range(0..2_000);
            Record {
                ts_ns,
                packet: darknet_packet(&mut rng),
            }
        })
        .collect();
    let header = BatchHeader {
        id: BatchId::random(),
        sensor: "tokyo-1".into(),
        seq: 1,
        created_at_ns: ts_ns,
        records: n as u64,
        accounting: Accounting::default(),
    };

    let start = Instant::now();
    let bytes = encode(&header, &records);
    let encode_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (_, decoded) = decode(&bytes, &Limits::default()).expect("a batch of ours decodes");
    let decode_s = start.elapsed().as_secs_f64();
    assert!(decoded == records);

    println!("{n} records, {} bytes", bytes.len());
    println!("{:.2} bytes per record", bytes.len() as f64 / n as f64);
    println!(
        "encode: {:.0} records/s ({encode_s:.3} s)",
        n as f64 / encode_s
    );
    println!(
        "decode: {:.0} records/s ({decode_s:.3} s)",
        n as f64 / decode_s
    );
}

/// One packet of the mix: 85% SYN probes, 9% UDP, 3% ICMP echo, 3% backscatter; 2% IPv6.
fn darknet_packet(rng: &mut StdRng) -> PacketRepr {
    let (src, dst) = if rng.random_bool(0.02) {
        ipv6_pair(rng)
    } else {
        ipv4_pair(rng)
    };
    let base = PacketRepr {
        src,
        dst,
        ip_version: if src.is_ipv4() { 4 } else { 6 },
        protocol: 6,
        ttl: [46, 52, 113, 238][rng.random_range(0..4)] - rng.random_range(0..8),
        ip_id: src.is_ipv4().then(|| rng.random::<u16>().into()),
        ip_len: 40,
        fragment: Fragment::None,
        src_port: None,
        dst_port: None,
        icmp_type: None,
        icmp_code: None,
        tcp_flags: None,
        tcp_seq: None,
        tcp_ack: None,
        tcp_window: None,
        tcp_options: None,
        payload_len: 0,
        payload_hash: None,
        truncated: false,
    };
    match rng.random_range(0..100) {
        0..85 => syn_probe(rng, base),
        85..94 => udp_probe(rng, base),
        94..97 => icmp_echo(rng, base),
        _ => backscatter(rng, base),
    }
}

/// A source of a Zipf-like population (a few sources send most probes) to the telescope.
fn ipv4_pair(rng: &mut StdRng) -> (IpAddr, IpAddr) {
    let rank = (rng.random::<f64>().powi(4) * f64::from(SOURCES)) as u32;
    let src = Ipv4Addr::from(rank.wrapping_mul(2_654_435_761) | 0x0100_0000);
    let dst = Ipv4Addr::from(TELESCOPE | rng.random_range(0..1 << 16));
    (src.into(), dst.into())
}

fn ipv6_pair(rng: &mut StdRng) -> (IpAddr, IpAddr) {
    let src = Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(rng.random::<u16>()));
    let dst = Ipv6Addr::from(0x2001_0db8_ffff_u128 << 80 | u128::from(rng.random::<u64>()));
    (src.into(), dst.into())
}

fn syn_probe(rng: &mut StdRng, base: PacketRepr) -> PacketRepr {
    let dst_port = if rng.random_bool(0.7) {
        SYN_PORTS[rng.random_range(0..SYN_PORTS.len())]
    } else {
        rng.random()
    };
    let (window, options) = syn_stack(rng);
    PacketRepr {
        ip_len: 40 + 4 * u32::from(options.len.div_ceil(4)),
        src_port: Some(rng.random_range(1024..=u16::MAX)),
        dst_port: Some(dst_port),
        tcp_flags: Some(0x002),
        tcp_seq: Some(rng.random()),
        tcp_ack: Some(0),
        tcp_window: Some(window),
        tcp_options: Some(options),
        ..base
    }
}

/// The window and options of Linux, Windows or masscan (no options).
fn syn_stack(rng: &mut StdRng) -> (u16, TcpOptionsSummary) {
    let summary = |kinds: &[u8], mss, wscale| {
        let mut all = [0; 12];
        all[..kinds.len()].copy_from_slice(kinds);
        TcpOptionsSummary {
            kinds: all,
            len: kinds.len() as u8,
            mss,
            wscale,
        }
    };
    match rng.random_range(0..10) {
        0..4 => (64_240, summary(&[2, 4, 8, 1, 3], Some(1460), Some(7))),
        4..6 => (8_192, summary(&[2, 1, 3, 1, 1, 4], Some(1460), Some(8))),
        _ => (1_024, summary(&[], None, None)),
    }
}

fn udp_probe(rng: &mut StdRng, base: PacketRepr) -> PacketRepr {
    let port = UDP_PORTS[rng.random_range(0..UDP_PORTS.len())];
    let payload_len = [29, 48, 40, 94, 412, 15][usize::from(port % 6)];
    PacketRepr {
        protocol: 17,
        ip_len: 28 + payload_len,
        src_port: Some(rng.random()),
        dst_port: Some(port),
        payload_len,
        payload_hash: Some(u32::from(port).wrapping_mul(0x9e37_79b9)),
        ..base
    }
}

fn icmp_echo(rng: &mut StdRng, base: PacketRepr) -> PacketRepr {
    PacketRepr {
        protocol: if base.ip_version == 4 { 1 } else { 58 },
        ip_len: 84,
        icmp_type: Some(if base.ip_version == 4 { 8 } else { 128 }),
        icmp_code: Some(0),
        payload_len: 56,
        payload_hash: Some(rng.random_range(0..16)),
        ..base
    }
}

/// A SYN-ACK or RST from a victim of a spoofed flood, to a random port.
fn backscatter(rng: &mut StdRng, base: PacketRepr) -> PacketRepr {
    let syn_ack = rng.random_bool(0.6);
    PacketRepr {
        src_port: Some([80, 443, 25565][rng.random_range(0..3)]),
        dst_port: Some(rng.random()),
        tcp_flags: Some(if syn_ack { 0x012 } else { 0x014 }),
        tcp_seq: Some(rng.random()),
        tcp_ack: Some(rng.random()),
        tcp_window: Some(if syn_ack { 29_200 } else { 0 }),
        tcp_options: Some(TcpOptionsSummary::default()),
        ..base
    }
}

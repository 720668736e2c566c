//! Decoding speed on frames a darknet sees every second. The target is 20 million
//! 60-byte Ethernet/IPv4/TCP SYN frames per second on one core.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use etherparse::{PacketBuilder, TcpOptionElement};
use hirundo_wire::{decode, Decoded, LinkType};

const SRC_MAC: [u8; 6] = [0x00, 0x1b, 0x21, 0x3c, 0x9d, 0xf8];
const DST_MAC: [u8; 6] = [0x00, 0x0c, 0x29, 0x5b, 0x3e, 0x2e];

/// A Mirai-style SYN to 23/tcp with an MSS option, padded to the 60-byte Ethernet minimum.
fn syn() -> Vec<u8> {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
        .ipv4([45, 95, 147, 10], [198, 51, 100, 23], 52)
        .tcp(41237, 23, 0xc633_6417, 14600)
        .syn()
        .options(&[TcpOptionElement::MaximumSegmentSize(1460)])
        .unwrap()
        .write(&mut frame, &[])
        .unwrap();
    frame.resize(60, 0);
    frame
}

/// A DNS `version.bind` probe to 53/udp.
fn dns_probe() -> Vec<u8> {
    let query =
        b"\x13\x37\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07version\x04bind\x00\x00\x10\x00\x03";
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
        .ipv4([185, 142, 236, 35], [198, 51, 100, 53], 244)
        .udp(55123, 53)
        .write(&mut frame, query)
        .unwrap();
    frame
}

/// A ping sweep's echo request.
fn icmp_echo() -> Vec<u8> {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
        .ipv4([71, 6, 199, 23], [198, 51, 100, 1], 49)
        .icmpv4_echo_request(0x4a2f, 1)
        .write(&mut frame, &[0u8; 8])
        .unwrap();
    frame.resize(60, 0);
    frame
}

/// A SYN/ACK (backscatter) on an 802.1Q-tagged link.
fn vlan_backscatter() -> Vec<u8> {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(SRC_MAC, DST_MAC)
        .single_vlan(0x064.try_into().unwrap())
        .ipv4([203, 0, 113, 80], [198, 51, 100, 99], 57)
        .tcp(443, 61000, 0x1234_5678, 65535)
        .syn()
        .ack(0x0bad_cafe)
        .write(&mut frame, &[])
        .unwrap();
    frame.resize(64, 0);
    frame
}

fn bench(c: &mut Criterion) {
    let syn = syn();
    assert_eq!(syn.len(), 60);
    assert!(matches!(
        decode(LinkType::Ethernet, &syn, 60),
        Decoded::Packet(_)
    ));
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("syn_60_bytes", |b| {
        b.iter(|| decode(LinkType::Ethernet, black_box(&syn), black_box(60)))
    });

    let mix = [syn, dns_probe(), icmp_echo(), vlan_backscatter()];
    for frame in &mix {
        assert!(matches!(
            decode(LinkType::Ethernet, frame, frame.len() as u32),
            Decoded::Packet(_)
        ));
    }
    group.throughput(Throughput::Elements(mix.len() as u64));
    group.bench_function("mix_syn_dns_icmp_vlan", |b| {
        b.iter(|| {
            for frame in &mix {
                black_box(decode(
                    LinkType::Ethernet,
                    black_box(frame),
                    frame.len() as u32,
                ));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! `decode` on garbage, on every prefix of valid frames and on valid frames with bytes
//! changed: it must never panic, and what it returns must hold together.

mod common;

use common::decode_checked;
use etherparse::{PacketBuilder, TcpOptionElement};
use hirundo_wire::LinkType;

const LINKS: [LinkType; 8] = [
    LinkType::Ethernet,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::RawIp,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::Null,
    LinkType::Loop,
];

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const V4_SRC: [u8; 4] = [203, 0, 113, 9];
const V4_DST: [u8; 4] = [198, 51, 100, 1];
const V6_SRC: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
const V6_DST: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// Valid IP packets of every kind the decoder goes into.
fn ip_packets() -> Vec<Vec<u8>> {
    let options = [
        TcpOptionElement::MaximumSegmentSize(1460),
        TcpOptionElement::SelectiveAcknowledgementPermitted,
        TcpOptionElement::Timestamp(1, 0),
        TcpOptionElement::Noop,
        TcpOptionElement::WindowScale(7),
    ];
    let mut tcp4 = Vec::new();
    PacketBuilder::ipv4(V4_SRC, V4_DST, 64)
        .tcp(40000, 23, 0xc633_6401, 14600)
        .syn()
        .options(&options)
        .unwrap()
        .write(&mut tcp4, &[])
        .unwrap();
    let mut udp4 = Vec::new();
    PacketBuilder::ipv4(V4_SRC, V4_DST, 64)
        .udp(5353, 53)
        .write(&mut udp4, b"version.bind")
        .unwrap();
    let mut icmp4 = Vec::new();
    PacketBuilder::ipv4(V4_SRC, V4_DST, 64)
        .icmpv4_echo_request(1, 2)
        .write(&mut icmp4, &[0xab; 16])
        .unwrap();
    let mut tcp6 = Vec::new();
    PacketBuilder::ipv6(V6_SRC, V6_DST, 64)
        .tcp(40000, 443, 7, 65535)
        .ack(9)
        .psh()
        .write(&mut tcp6, b"GET / HTTP/1.1\r\n")
        .unwrap();
    let mut icmp6 = Vec::new();
    PacketBuilder::ipv6(V6_SRC, V6_DST, 64)
        .icmpv6_echo_request(1, 2)
        .write(&mut icmp6, &[0xcd; 16])
        .unwrap();
    let mut later_fragment = tcp4.clone();
    later_fragment[6..8].copy_from_slice(&0x2010u16.to_be_bytes());
    vec![
        ipv4_with_options(&udp4),
        with_extension_headers(&icmp6),
        tcp4,
        udp4,
        icmp4,
        tcp6,
        icmp6,
        later_fragment,
    ]
}

/// The IPv4 packet with four bytes of options (NOP, NOP, NOP, end of list).
fn ipv4_with_options(packet: &[u8]) -> Vec<u8> {
    let mut with = packet[..20].to_vec();
    with[0] = 0x46;
    let total = u16::from_be_bytes([with[2], with[3]]) + 4;
    with[2..4].copy_from_slice(&total.to_be_bytes());
    with.extend_from_slice(&[1, 1, 1, 0]);
    with.extend_from_slice(&packet[20..]);
    with
}

/// The IPv6 packet with a hop-by-hop header and a first-fragment header put in front of
/// its upper-layer header.
fn with_extension_headers(packet: &[u8]) -> Vec<u8> {
    let mut with = packet[..40].to_vec();
    let upper = with[6];
    with[6] = 0;
    let payload_len = u16::from_be_bytes([with[4], with[5]]) + 16;
    with[4..6].copy_from_slice(&payload_len.to_be_bytes());
    with.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
    with.extend_from_slice(&[upper, 0, 0, 1, 0xca, 0xfe, 0xf0, 0x0d]);
    with.extend_from_slice(&packet[40..]);
    with
}

/// The packet in every link layer that can carry it.
fn frames(ip: &[u8]) -> Vec<(LinkType, Vec<u8>)> {
    let v6 = ip[0] >> 4 == 6;
    let ethertype: [u8; 2] = if v6 { [0x86, 0xdd] } else { [0x08, 0x00] };
    let family: u32 = if v6 { 30 } else { 2 };
    let with = |header: &[u8]| [header, ip].concat();
    let mac = [
        0x00, 0x1b, 0x21, 0x3c, 0x9d, 0xf8, 0x00, 0x0c, 0x29, 0x5b, 0x3e, 0x2e,
    ];
    let mut ethernet = mac.to_vec();
    ethernet.extend_from_slice(&ethertype);
    let mut qinq = mac.to_vec();
    qinq.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x07]);
    qinq.extend_from_slice(&ethertype);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 0x00, 0x1b, 0x21, 0x3c, 0x9d, 0xf8, 0, 0];
    sll.extend_from_slice(&ethertype);
    let mut sll2 = ethertype.to_vec();
    sll2.extend_from_slice(&[
        0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0x00, 0x1b, 0x21, 0x3c, 0x9d, 0xf8, 0, 0,
    ]);
    let direct = if v6 { LinkType::Ipv6 } else { LinkType::Ipv4 };
    vec![
        (LinkType::Ethernet, with(&ethernet)),
        (LinkType::Ethernet, with(&qinq)),
        (LinkType::LinuxSll, with(&sll)),
        (LinkType::LinuxSll2, with(&sll2)),
        (LinkType::Null, with(&family.to_le_bytes())),
        (LinkType::Loop, with(&family.to_be_bytes())),
        (LinkType::RawIp, ip.to_vec()),
        (direct, ip.to_vec()),
    ]
}

fn valid_frames() -> Vec<(LinkType, Vec<u8>)> {
    ip_packets().iter().flat_map(|ip| frames(ip)).collect()
}

#[test]
fn valid_frames_decode() {
    for (link, frame) in valid_frames() {
        let decoded = decode_checked(link, &frame, frame.len() as u32);
        assert!(
            matches!(decoded, hirundo_wire::Decoded::Packet(_)),
            "{link:?} {frame:02x?}: {decoded:?}"
        );
    }
}

#[test]
fn every_prefix_of_valid_frames() {
    for (link, frame) in valid_frames() {
        for cut in 0..=frame.len() {
            let prefix = &frame[..cut];
            // Cut by the capture, and (wrongly) claimed whole.
            decode_checked(link, prefix, frame.len() as u32);
            decode_checked(link, prefix, cut as u32);
        }
    }
}

#[test]
fn every_byte_of_valid_frames_changed() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (link, frame) in valid_frames() {
        for at in 0..frame.len() {
            for value in [0x00, 0xff, 0x01, 0x80, rng.next() as u8] {
                let mut changed = frame.clone();
                changed[at] = value;
                decode_checked(link, &changed, frame.len() as u32);
                decode_checked(link, &changed[..at + 1], frame.len() as u32);
            }
        }
    }
}

#[test]
fn random_bytes_for_every_link_type() {
    let mut rng = Rng(0x243f_6a88_85a3_08d3);
    let templates = valid_frames();
    let mut buffer = [0u8; 256];
    for case in 0..200_000 {
        let mut link = LINKS[rng.below(LINKS.len())];
        let len = rng.below(buffer.len() + 1);
        if case % 2 == 0 {
            // Pure noise: mostly stops at the link layer.
            buffer.iter_mut().for_each(|byte| *byte = rng.next() as u8);
        } else {
            // A valid frame with a few random bytes: gets deep into the headers.
            let (template_link, template) = &templates[rng.below(templates.len())];
            if case % 5 != 0 {
                link = *template_link;
            }
            buffer.fill(0);
            buffer[..template.len()].copy_from_slice(template);
            for _ in 0..1 + rng.below(4) {
                buffer[rng.below(template.len())] = rng.next() as u8;
            }
        }
        let orig_len = match rng.below(3) {
            0 => len,
            1 => len + rng.below(2000),
            _ => rng.below(len + 1),
        };
        decode_checked(link, &buffer[..len], orig_len as u32);
    }
}

//! Fingerprints of the tools that send TCP SYN probes. One table: a new fingerprint is one
//! entry. The first that matches names the tool; exact marks come before heuristics.

use std::net::IpAddr;

use hirundo_wire::PacketRepr;

/// A named test on a TCP SYN probe.
pub struct Fingerprint {
    pub tool: &'static str,
    pub matches: fn(&PacketRepr) -> bool,
}

/// ZMap's IPv4 identification (versions up to 4.0).
const ZMAP_IP_ID: u32 = 54321;

/// The fingerprints, in the order they are tried.
pub const FINGERPRINTS: &[Fingerprint] = &[
    // Mirai and its descendants set the sequence number to the destination address.
    Fingerprint {
        tool: "mirai",
        matches: |p| ipv4_dst(p).is_some_and(|dst| p.tcp_seq == Some(dst)),
    },
    Fingerprint {
        tool: "zmap",
        matches: |p| p.ip_version == 4 && p.ip_id == Some(ZMAP_IP_ID),
    },
    // masscan: IP ID = (destination address ^ destination port ^ sequence number) & 0xffff.
    Fingerprint {
        tool: "masscan",
        matches: masscan,
    },
    // What masscan-style stateless scanners leave when the exact mark is off: a bare SYN
    // with window 1024 and a high TTL (initial 255).
    Fingerprint {
        tool: "masscan-like",
        matches: |p| p.tcp_window == Some(1024) && option_kinds(p) == Some(&[]) && p.ttl >= 200,
    },
    // Nmap's SYN scan: window 1024 and an MSS option alone.
    Fingerprint {
        tool: "nmap",
        matches: |p| p.tcp_window == Some(1024) && option_kinds(p) == Some(&[2]),
    },
];

/// The tool whose fingerprint a TCP SYN probe carries, as its index in [`FINGERPRINTS`]: a
/// byte, where its name would take sixteen in every row of a batch.
pub fn fingerprint(p: &PacketRepr) -> Option<u8> {
    let index = FINGERPRINTS.iter().position(|f| (f.matches)(p))?;
    Some(u8::try_from(index).expect("fewer than 256 fingerprints"))
}

/// The tool of fingerprint `index` (from [`fingerprint`]).
pub fn name(index: u8) -> &'static str {
    FINGERPRINTS[usize::from(index)].tool
}

fn ipv4_dst(p: &PacketRepr) -> Option<u32> {
    match p.dst {
        IpAddr::V4(dst) => Some(u32::from(dst)),
        IpAddr::V6(_) => None,
    }
}

fn masscan(p: &PacketRepr) -> bool {
    match (ipv4_dst(p), p.dst_port, p.tcp_seq, p.ip_id) {
        (Some(dst), Some(port), Some(seq), Some(id)) => {
            (dst ^ u32::from(port) ^ seq) & 0xffff == id
        }
        _ => false,
    }
}

fn option_kinds(p: &PacketRepr) -> Option<&[u8]> {
    p.tcp_options.as_ref().map(|o| o.kinds())
}

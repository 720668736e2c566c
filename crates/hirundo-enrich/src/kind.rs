//! The kind of a packet as darknet analysis counts it: probes (someone looking for a
//! service), backscatter (a DoS victim answering packets spoofed with darknet addresses),
//! and the rest.

use hirundo_wire::tcp::flags::{ACK, RST, SYN};
use hirundo_wire::PacketRepr;

/// IP protocol numbers.
const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMPV6: u8 = 58;

/// DNS: answers from port 53 are replies to queries spoofed with darknet addresses.
const DNS_PORT: u16 = 53;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrafficKind {
    /// TCP with SYN alone: a scan or a connection attempt.
    TcpSynProbe,
    /// SYN-ACK, RST, RST-ACK; ICMP replies and errors; UDP from port 53.
    Backscatter,
    /// Any other UDP.
    UdpProbe,
    /// ICMP echo, timestamp, information and address mask requests (and ICMPv6 echo).
    IcmpRequest,
    /// TCP with other flags (ACK scans, FIN scans, stray data).
    OtherTcp,
    /// Everything else: other protocols, ICMP types that are neither.
    Other,
}

impl TrafficKind {
    /// The name stored in the `traffic_kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TrafficKind::TcpSynProbe => "tcp_syn_probe",
            TrafficKind::Backscatter => "backscatter",
            TrafficKind::UdpProbe => "udp_probe",
            TrafficKind::IcmpRequest => "icmp_request",
            TrafficKind::OtherTcp => "other_tcp",
            TrafficKind::Other => "other",
        }
    }
}

pub fn classify(p: &PacketRepr) -> TrafficKind {
    match (p.protocol, p.tcp_flags, p.icmp_type) {
        (TCP, Some(flags), _) => tcp(flags),
        (UDP, _, _) if p.src_port == Some(DNS_PORT) => TrafficKind::Backscatter,
        (UDP, _, _) => TrafficKind::UdpProbe,
        (ICMP, _, Some(t)) => icmp(t),
        (ICMPV6, _, Some(t)) => icmpv6(t),
        _ => TrafficKind::Other,
    }
}

fn tcp(flags: u16) -> TrafficKind {
    let handshake = flags & (SYN | ACK | RST);
    match handshake {
        SYN => TrafficKind::TcpSynProbe,
        h if h == SYN | ACK || h & RST != 0 => TrafficKind::Backscatter,
        _ => TrafficKind::OtherTcp,
    }
}

fn icmp(icmp_type: u8) -> TrafficKind {
    match icmp_type {
        // Echo reply, unreachable, source quench, redirect, time exceeded, parameter
        // problem, timestamp reply, information reply, address mask reply.
        0 | 3 | 4 | 5 | 11 | 12 | 14 | 16 | 18 => TrafficKind::Backscatter,
        // Echo, timestamp, information and address mask requests.
        8 | 13 | 15 | 17 => TrafficKind::IcmpRequest,
        _ => TrafficKind::Other,
    }
}

fn icmpv6(icmp_type: u8) -> TrafficKind {
    match icmp_type {
        // Unreachable, packet too big, time exceeded, parameter problem, echo reply.
        1..=4 | 129 => TrafficKind::Backscatter,
        128 => TrafficKind::IcmpRequest,
        _ => TrafficKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hirundo_wire::tcp::flags::{FIN, PSH};

    #[test]
    fn tcp_flags() {
        assert_eq!(tcp(SYN), TrafficKind::TcpSynProbe);
        assert_eq!(
            tcp(SYN | 0x80 | 0x40),
            TrafficKind::TcpSynProbe,
            "ECN-setup SYN"
        );
        assert_eq!(tcp(SYN | ACK), TrafficKind::Backscatter);
        assert_eq!(tcp(RST), TrafficKind::Backscatter);
        assert_eq!(tcp(RST | ACK), TrafficKind::Backscatter);
        assert_eq!(tcp(ACK), TrafficKind::OtherTcp);
        assert_eq!(tcp(FIN | PSH | 0x20), TrafficKind::OtherTcp, "Xmas scan");
    }

    #[test]
    fn icmp_types() {
        for t in [0, 3, 4, 5, 11, 12, 14, 16, 18] {
            assert_eq!(icmp(t), TrafficKind::Backscatter, "{t}");
        }
        for t in [8, 13, 15, 17] {
            assert_eq!(icmp(t), TrafficKind::IcmpRequest, "{t}");
        }
        assert_eq!(icmp(9), TrafficKind::Other, "router advertisement");
        assert_eq!(icmpv6(128), TrafficKind::IcmpRequest);
        assert_eq!(icmpv6(1), TrafficKind::Backscatter);
        assert_eq!(icmpv6(135), TrafficKind::Other, "neighbour solicitation");
    }
}

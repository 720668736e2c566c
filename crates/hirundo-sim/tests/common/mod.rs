//! Reading synthetic captures back, independently of the writer.

use etherparse::{NetSlice, SlicedPacket, TransportSlice};

/// One frame as etherparse reads it, with every checksum verified.
pub struct Packet {
    pub ts_ns: i64,
    pub src: u32,
    pub dst: u32,
    pub id: u16,
    pub dont_fragment: bool,
    pub ttl: u8,
    pub proto: u8,
    pub transport: Transport,
}

pub enum Transport {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        syn: bool,
        ack: bool,
        rst: bool,
        window: u16,
        options: Vec<u8>,
    },
    Udp {
        dport: u16,
        payload: Vec<u8>,
    },
    Icmp {
        icmp_type: u8,
        code: u8,
        payload: Vec<u8>,
    },
}

impl Packet {
    /// The key of `SynthSummary::per_dst_port`.
    pub fn port_key(&self) -> (u8, u16) {
        match self.transport {
            Transport::Tcp { dport, .. } | Transport::Udp { dport, .. } => (self.proto, dport),
            Transport::Icmp { .. } => (self.proto, 0),
        }
    }

    /// A SYN probe: SYN alone.
    pub fn is_syn_probe(&self) -> bool {
        matches!(
            self.transport,
            Transport::Tcp {
                syn: true,
                ack: false,
                rst: false,
                ..
            }
        )
    }
}

/// Every frame of a nanosecond, little-endian, Ethernet pcap.
pub fn read_pcap(pcap: &[u8]) -> Vec<Packet> {
    assert_eq!(pcap[..4], 0xa1b2_3c4d_u32.to_le_bytes(), "nanosecond magic");
    assert_eq!(pcap[20..24], 1_u32.to_le_bytes(), "LINKTYPE_ETHERNET");
    let mut packets = Vec::new();
    let mut at = 24;
    while at < pcap.len() {
        let field = |i: usize| u32::from_le_bytes(pcap[at + i..at + i + 4].try_into().unwrap());
        let (seconds, nanos, captured, original) = (field(0), field(4), field(8), field(12));
        assert_eq!(captured, original, "frame at {at} is truncated");
        assert!(nanos < 1_000_000_000);
        let frame = &pcap[at + 16..at + 16 + captured as usize];
        packets.push(parse_frame(
            i64::from(seconds) * 1_000_000_000 + i64::from(nanos),
            frame,
        ));
        at += 16 + captured as usize;
    }
    assert_eq!(at, pcap.len());
    packets
}

fn parse_frame(ts_ns: i64, frame: &[u8]) -> Packet {
    assert!(
        frame.len() >= 60,
        "frames are padded to the Ethernet minimum"
    );
    let sliced = SlicedPacket::from_ethernet(frame).expect("etherparse reads the frame");
    let Some(NetSlice::Ipv4(ipv4)) = &sliced.net else {
        panic!("not IPv4")
    };
    let ip = ipv4.header();
    assert_eq!(
        ip.header_checksum(),
        ip.to_header().calc_header_checksum(),
        "IPv4 checksum"
    );
    let (src, dst) = (ip.source(), ip.destination());
    let transport = match sliced.transport.expect("a transport header") {
        TransportSlice::Tcp(tcp) => {
            assert_eq!(
                tcp.checksum(),
                tcp.calc_checksum_ipv4(src, dst).unwrap(),
                "TCP checksum"
            );
            Transport::Tcp {
                sport: tcp.source_port(),
                dport: tcp.destination_port(),
                seq: tcp.sequence_number(),
                syn: tcp.syn(),
                ack: tcp.ack(),
                rst: tcp.rst(),
                window: tcp.window_size(),
                options: tcp.options().to_vec(),
            }
        }
        TransportSlice::Udp(udp) => {
            let expected = udp
                .to_header()
                .calc_checksum_ipv4_raw(src, dst, udp.payload())
                .unwrap();
            assert_eq!(udp.checksum(), expected, "UDP checksum");
            Transport::Udp {
                dport: udp.destination_port(),
                payload: udp.payload().to_vec(),
            }
        }
        TransportSlice::Icmpv4(icmp) => {
            assert_eq!(
                icmp.checksum(),
                icmp.header().icmp_type.calc_checksum(icmp.payload()),
                "ICMP checksum"
            );
            Transport::Icmp {
                icmp_type: icmp.type_u8(),
                code: icmp.code_u8(),
                payload: icmp.payload().to_vec(),
            }
        }
        _ => panic!("unexpected transport"),
    };
    Packet {
        ts_ns,
        src: u32::from_be_bytes(src),
        dst: u32::from_be_bytes(dst),
        id: ip.identification(),
        dont_fragment: ip.dont_fragment(),
        ttl: ip.ttl(),
        proto: ip.protocol().0,
        transport,
    }
}

//! The darknet traffic mix: what each synthetic packet is and how each sender builds it.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::clock::Clock;
use crate::frame::{self, Ipv4, Tcp, ACK, ICMP, RST, SYN, TCP, UDP};
use crate::population::{Population, Source, Victim};
use crate::weighted::Weighted;
use crate::{Sender, SynthConfig};

/// ZMap's fixed IPv4 identification.
const ZMAP_IP_ID: u16 = 54321;

/// One packet as written, for the summary.
pub(crate) struct Emitted {
    pub ts_ns: i64,
    pub len: usize,
    pub class: Class,
    pub proto: u8,
    /// Zero for ICMP.
    pub dport: u16,
}

#[derive(Clone, Copy)]
pub(crate) enum Class {
    Syn(Sender),
    Udp,
    Icmp,
    Backscatter,
}

#[derive(Clone, Copy)]
enum Kind {
    Syn,
    Udp,
    Icmp,
    Backscatter,
}

#[derive(Clone, Copy)]
pub(crate) enum Reply {
    SynAck,
    Rst,
    PortUnreachable,
}

/// Share of each kind of packet, per cent.
const KINDS: [(Kind, usize); 4] = [
    (Kind::Syn, 85),
    (Kind::Udp, 9),
    (Kind::Icmp, 3),
    (Kind::Backscatter, 3),
];

/// Destination ports of SYN probes from anything but Mirai, per mille, after the
/// TSUBAME 2019Q4 ranking; `None` is the long tail of random ports.
const TCP_PORTS: [(Option<u16>, usize); 15] = [
    (Some(445), 180),
    (Some(1433), 120),
    (Some(80), 90),
    (Some(22), 90),
    (Some(8080), 60),
    (Some(3389), 60),
    (Some(23), 50),
    (Some(5555), 40),
    (Some(81), 30),
    (Some(8443), 30),
    (Some(37215), 25),
    (Some(6379), 25),
    (Some(52869), 20),
    (Some(2323), 10),
    (None, 170),
];

/// Backscatter: SYN floods answered with SYN-ACK (open port) or RST (closed port),
/// UDP floods answered with ICMP port unreachable; per cent.
const REPLIES: [(Reply, usize); 3] = [
    (Reply::SynAck, 50),
    (Reply::Rst, 30),
    (Reply::PortUnreachable, 20),
];

const MSS_1460: [u8; 4] = [2, 4, 0x05, 0xb4];
/// Windows: MSS, NOP, window scale 8, NOP, NOP, SACK permitted.
const WINDOWS_OPTIONS: [u8; 12] = [2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2];
/// Linux: MSS, SACK permitted, timestamps (value patched per packet), NOP, window scale 7.
const LINUX_OPTIONS: [u8; 20] = [
    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7,
];
const LINUX_TSVAL_AT: usize = 8;

/// A UDP probe's destination port and payload; `nonce_at` is the offset of a 16-bit
/// transaction ID that varies per packet.
pub(crate) struct UdpProbe {
    port: u16,
    payload: &'static [u8],
    nonce_at: Option<usize>,
}

/// What a scanner sends to a UDP port it has no special probe for: a few bytes, as
/// generic UDP scanners (nmap's default, ZMap's udp module) do.
const GENERIC_UDP: UdpProbe = UdpProbe {
    port: 0,
    payload: b"\r\n\r\n",
    nonce_at: None,
};

/// DNS ANY query for isc.org with EDNS0 (4096-byte replies): amplification survey.
const DNS_ANY: UdpProbe = UdpProbe {
    port: 53,
    payload:
        b"\0\0\x01\0\0\x01\0\0\0\0\0\x01\x03isc\x03org\0\0\xff\0\x01\0\0\x29\x10\0\0\0\0\0\0\0",
    nonce_at: Some(0),
};
/// NTPv4 client request (mode 3).
const NTP_CLIENT: UdpProbe = UdpProbe {
    port: 123,
    payload: &{
        let mut packet = [0; 48];
        packet[0] = 0xe3; // leap unknown, version 4, mode 3
        packet[2] = 6; // poll
        packet[3] = 0xe9; // precision
        packet
    },
    nonce_at: None,
};
/// NTP mode 7 MON_GETLIST_1 ("monlist"), the amplification vector.
const NTP_MONLIST: UdpProbe = UdpProbe {
    port: 123,
    payload: b"\x17\x00\x03\x2a\0\0\0\0",
    nonce_at: None,
};
/// SNMPv2c get-request for sysDescr.0 with community "public".
const SNMP_GET: UdpProbe = UdpProbe {
    port: 161,
    payload: b"\x30\x29\x02\x01\x01\x04\x06public\xa0\x1c\x02\x04\x12\x34\0\0\x02\x01\0\x02\x01\0\
               \x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00",
    nonce_at: Some(19),
};
const SSDP_SEARCH: UdpProbe = UdpProbe {
    port: 1900,
    payload: b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n",
    nonce_at: None,
};
/// SIPVicious-style OPTIONS.
const SIP_OPTIONS: UdpProbe = UdpProbe {
    port: 5060,
    payload: b"OPTIONS sip:100@example.net SIP/2.0\r\n\
               Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2915\r\n\
               Max-Forwards: 70\r\n\
               From: \"sipvicious\"<sip:100@example.net>;tag=3836363763\r\n\
               To: \"sipvicious\"<sip:100@example.net>\r\n\
               Call-ID: 1790543621\r\n\
               CSeq: 1 OPTIONS\r\n\
               Contact: <sip:100@127.0.0.1:5060>\r\n\
               Accept: application/sdp\r\n\
               User-Agent: friendly-scanner\r\n\
               Content-Length: 0\r\n\r\n",
    nonce_at: None,
};
/// memcached UDP frame header (request ID, sequence 0, 1 datagram) and `stats`.
const MEMCACHED_STATS: UdpProbe = UdpProbe {
    port: 11211,
    payload: b"\0\0\0\0\0\x01\0\0stats\r\n",
    nonce_at: Some(0),
};

/// Per cent.
const UDP_PROBES: [(&UdpProbe, usize); 7] = [
    (&DNS_ANY, 30),
    (&NTP_CLIENT, 10),
    (&NTP_MONLIST, 8),
    (&SNMP_GET, 15),
    (&SSDP_SEARCH, 15),
    (&SIP_OPTIONS, 12),
    (&MEMCACHED_STATS, 10),
];

/// Windows ping's payload.
const PING_PAYLOAD: &[u8] = b"abcdefghijklmnopqrstuvwabcdefghi";

/// The part of a SYN probe that depends on the sending tool.
struct Probe {
    sport: u16,
    seq: u32,
    id: u16,
    window: u16,
}

/// Draws packets one after the other into a buffer.
pub(crate) struct Generator {
    rng: ChaCha8Rng,
    clock: Clock,
    population: Population,
    darknet: (u32, u32),
    kinds: Weighted<Kind>,
    tcp_ports: Weighted<Option<u16>>,
    udp_probes: Weighted<&'static UdpProbe>,
    replies: Weighted<Reply>,
}

impl Generator {
    /// `cfg` must be valid.
    pub fn new(cfg: &SynthConfig) -> Self {
        let darknet = cfg.darknet();
        // The population has its own stream so that it is the same whatever the
        // number of packets drawn from it.
        let mut population_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut rng = population_rng.clone();
        rng.set_stream(1);
        Generator {
            clock: Clock::new(cfg.start_ns, cfg.span_ns, cfg.packets),
            population: Population::new(&mut population_rng, darknet),
            rng,
            darknet,
            kinds: Weighted::new(&KINDS),
            tcp_ports: Weighted::new(&TCP_PORTS),
            udp_probes: Weighted::new(&UDP_PROBES),
            replies: Weighted::new(&REPLIES),
        }
    }

    /// Appends the next frame to `buf`.
    pub fn next(&mut self, buf: &mut Vec<u8>) -> Emitted {
        let ts_ns = self.clock.tick(&mut self.rng);
        let dst = self.darknet.0 | (self.rng.next_u32() & !self.darknet.1);
        match self.kinds.pick(&mut self.rng) {
            Kind::Syn => self.syn_probe(buf, dst, ts_ns),
            Kind::Udp => self.udp_probe(buf, dst, ts_ns),
            Kind::Icmp => self.icmp_echo(buf, dst, ts_ns),
            Kind::Backscatter => self.backscatter(buf, dst, ts_ns),
        }
    }

    fn syn_probe(&mut self, buf: &mut Vec<u8>, dst: u32, ts_ns: i64) -> Emitted {
        let src = self.population.pick_source(&mut self.rng);
        let dport = self.syn_dport(src.sender);
        let len = build_syn(buf, &mut self.rng, &src, dst, dport, ts_ns);
        Emitted {
            ts_ns,
            len,
            class: Class::Syn(src.sender),
            proto: TCP,
            dport,
        }
    }

    fn syn_dport(&mut self, sender: Sender) -> u16 {
        match sender {
            // Mirai's scanner tries 2323 one time in ten.
            Sender::Mirai if self.rng.random_ratio(1, 10) => 2323,
            Sender::Mirai => 23,
            _ => self
                .tcp_ports
                .pick(&mut self.rng)
                .unwrap_or_else(|| self.rng.random_range(1..=u16::MAX)),
        }
    }

    fn udp_probe(&mut self, buf: &mut Vec<u8>, dst: u32, ts_ns: i64) -> Emitted {
        let src = self.population.pick_source(&mut self.rng);
        let probe = self.udp_probes.pick(&mut self.rng);
        let len = build_udp(buf, &mut self.rng, &src, dst, probe.port, probe);
        Emitted {
            ts_ns,
            len,
            class: Class::Udp,
            proto: UDP,
            dport: probe.port,
        }
    }

    fn icmp_echo(&mut self, buf: &mut Vec<u8>, dst: u32, ts_ns: i64) -> Emitted {
        let src = self.population.pick_source(&mut self.rng);
        let len = build_icmp_echo(buf, &mut self.rng, &src, dst);
        Emitted {
            ts_ns,
            len,
            class: Class::Icmp,
            proto: ICMP,
            dport: 0,
        }
    }

    fn backscatter(&mut self, buf: &mut Vec<u8>, dst: u32, ts_ns: i64) -> Emitted {
        let victim = *self.population.pick_victim(&mut self.rng);
        let reply = self.replies.pick(&mut self.rng);
        let (proto, dport, len) = build_reply(buf, &mut self.rng, &victim, dst, reply);
        Emitted {
            ts_ns,
            len,
            class: Class::Backscatter,
            proto,
            dport,
        }
    }
}

/// Appends a SYN probe from `src` to `dst:dport` with the fields of its sending tool;
/// returns the frame length.
pub(crate) fn build_syn(
    buf: &mut Vec<u8>,
    rng: &mut impl Rng,
    src: &Source,
    dst: u32,
    dport: u16,
    ts_ns: i64,
) -> usize {
    // Redraw the rare probe that would also carry another tool's fingerprint, so that
    // per-sender counts are exact ground truth for classifiers.
    let probe = loop {
        let probe = probe_fields(rng, src, dst, dport);
        if marks(dst, dport, &probe) == expected_marks(src.sender) {
            break probe;
        }
    };
    let mut linux_options = LINUX_OPTIONS;
    let options = syn_options(src, ts_ns, &mut linux_options);
    let ip = Ipv4 {
        src: src.addr,
        dst,
        id: probe.id,
        dont_fragment: matches!(src.sender, Sender::Linux | Sender::Windows),
        ttl: src.ttl,
        proto: TCP,
    };
    let tcp = Tcp {
        sport: probe.sport,
        dport,
        seq: probe.seq,
        ack: 0,
        flags: SYN,
        window: probe.window,
        options,
    };
    frame::frame(buf, &ip, |b| frame::put_tcp(b, &tcp))
}

/// Appends a UDP probe to `dst:dport` carrying `probe`'s payload; returns the frame length.
pub(crate) fn build_udp(
    buf: &mut Vec<u8>,
    rng: &mut impl Rng,
    src: &Source,
    dst: u32,
    dport: u16,
    probe: &UdpProbe,
) -> usize {
    // An OS-chosen ephemeral port: a uniformly random one would sometimes be a tunnel's
    // (VXLAN 4789, ...), which tcpdump and tshark then decode as such.
    let sport = rng.random_range(32_768..=60_999);
    let nonce: u16 = rng.random();
    let ip = plain_ipv4(rng, src, dst, UDP);
    frame::frame(buf, &ip, |b| {
        frame::put_udp(b, sport, dport, probe.payload);
        if let Some(at) = probe.nonce_at {
            let at = b.len() - probe.payload.len() + at;
            b[at..at + 2].copy_from_slice(&nonce.to_be_bytes());
        }
    })
}

/// The probe a scanner sends to a UDP port: the realistic payload for the known services,
/// a short generic one otherwise.
pub(crate) fn udp_probe_for(port: u16, rng: &mut impl RngCore) -> &'static UdpProbe {
    let mut known = UDP_PROBES.iter().filter(|(probe, _)| probe.port == port);
    match (known.next(), known.next()) {
        (Some(&(first, _)), None) => first,
        // NTP has a client request and monlist: one of each in turn, by chance.
        (Some(&(first, _)), Some(&(second, _))) => {
            if rng.next_u32() & 1 == 0 {
                first
            } else {
                second
            }
        }
        _ => &GENERIC_UDP,
    }
}

/// Appends an ICMP echo request; returns the frame length.
pub(crate) fn build_icmp_echo(
    buf: &mut Vec<u8>,
    rng: &mut impl Rng,
    src: &Source,
    dst: u32,
) -> usize {
    let id_and_sequence = rng.next_u32().to_be_bytes();
    let ip = plain_ipv4(rng, src, dst, ICMP);
    frame::frame(buf, &ip, |b| {
        frame::put_icmp(b, 8, 0, id_and_sequence);
        b.extend_from_slice(PING_PAYLOAD);
    })
}

/// Appends a DoS victim's reply to a packet spoofed from `dst`; returns the protocol,
/// destination port (0 for ICMP) and frame length.
pub(crate) fn build_reply(
    buf: &mut Vec<u8>,
    rng: &mut impl Rng,
    victim: &Victim,
    dst: u32,
    reply: Reply,
) -> (u8, u16, usize) {
    match reply {
        Reply::SynAck => tcp_reply(buf, rng, victim, dst, SYN | ACK),
        Reply::Rst => tcp_reply(buf, rng, victim, dst, RST | ACK),
        Reply::PortUnreachable => (ICMP, 0, port_unreachable(buf, rng, victim, dst)),
    }
}

/// A victim's answer to a SYN whose spoofed source was `dst`.
fn tcp_reply(
    buf: &mut Vec<u8>,
    rng: &mut impl Rng,
    victim: &Victim,
    dst: u32,
    flags: u8,
) -> (u8, u16, usize) {
    let dport = rng.random_range(1024..=u16::MAX);
    let ack = rng.random();
    let (seq, window, options): (u32, u16, &[u8]) = if flags & SYN != 0 {
        (rng.random(), 29_200, &MSS_1460)
    } else {
        (0, 0, &[])
    };
    let ip = Ipv4 {
        src: victim.addr,
        dst,
        id: plain_ip_id(rng),
        dont_fragment: true,
        ttl: victim.ttl,
        proto: TCP,
    };
    let tcp = Tcp {
        sport: victim.port,
        dport,
        seq,
        ack,
        flags,
        window,
        options,
    };
    (
        TCP,
        dport,
        frame::frame(buf, &ip, |b| frame::put_tcp(b, &tcp)),
    )
}

/// A victim's ICMP port unreachable for a UDP flood packet spoofed from `dst`, quoting
/// its IPv4 header and first 8 bytes as RFC 792 requires.
fn port_unreachable(buf: &mut Vec<u8>, rng: &mut impl Rng, victim: &Victim, dst: u32) -> usize {
    const FLOOD_LEN: u16 = 540;
    let flood = Ipv4 {
        src: dst,
        dst: victim.addr,
        id: plain_ip_id(rng),
        dont_fragment: false,
        ttl: rng.random_range(30..=60),
        proto: UDP,
    };
    let quoted_ip = frame::ipv4_header(&flood, FLOOD_LEN);
    let ports = rng.next_u32().to_be_bytes();
    let ip = Ipv4 {
        src: victim.addr,
        dst,
        id: plain_ip_id(rng),
        dont_fragment: false,
        ttl: victim.ttl,
        proto: ICMP,
    };
    frame::frame(buf, &ip, |b| {
        frame::put_icmp(b, 3, 3, [0; 4]);
        b.extend_from_slice(&quoted_ip);
        b.extend_from_slice(&ports);
        b.extend_from_slice(&(FLOOD_LEN - frame::IPV4_LEN as u16).to_be_bytes());
        b.extend_from_slice(&[0, 0]); // the flood sent no UDP checksum
    })
}

fn plain_ipv4(rng: &mut impl Rng, src: &Source, dst: u32, proto: u8) -> Ipv4 {
    Ipv4 {
        src: src.addr,
        dst,
        id: plain_ip_id(rng),
        dont_fragment: false,
        ttl: src.ttl,
        proto,
    }
}

/// The tool-specific fields of a SYN probe.
fn probe_fields(rng: &mut impl Rng, src: &Source, dst: u32, dport: u16) -> Probe {
    match src.sender {
        Sender::Mirai => Probe {
            sport: rng.random(),
            seq: dst,
            id: rng.random(),
            window: rng.random(),
        },
        Sender::Zmap => Probe {
            sport: rng.random_range(32_768..=61_000),
            seq: rng.random(),
            id: ZMAP_IP_ID,
            window: 65_535,
        },
        Sender::Masscan => {
            let seq = rng.random();
            Probe {
                sport: src.masscan_port,
                seq,
                id: masscan_ip_id(dst, dport, seq),
                window: 1024,
            }
        }
        Sender::Linux => Probe {
            sport: rng.random_range(32_768..=60_999),
            seq: rng.random(),
            id: rng.random(),
            window: 64_240,
        },
        Sender::Windows => Probe {
            sport: rng.random_range(49_152..=65_535),
            seq: rng.random(),
            id: rng.random(),
            window: 8192,
        },
    }
}

/// The TCP options of a source's SYN; a Linux host's carry a timestamp, written into
/// `linux` (a copy of [`LINUX_OPTIONS`]).
fn syn_options<'a>(src: &Source, ts_ns: i64, linux: &'a mut [u8; 20]) -> &'a [u8] {
    match src.sender {
        Sender::Zmap => &MSS_1460,
        Sender::Windows => &WINDOWS_OPTIONS,
        Sender::Linux => {
            let tsval = src.clock_ms.wrapping_add((ts_ns / 1_000_000) as u32);
            linux[LINUX_TSVAL_AT..LINUX_TSVAL_AT + 4].copy_from_slice(&tsval.to_be_bytes());
            linux
        }
        Sender::Mirai | Sender::Masscan => &[],
    }
}

fn masscan_ip_id(dst: u32, dport: u16, seq: u32) -> u16 {
    (dst ^ u32::from(dport) ^ seq) as u16
}

/// Which of the Mirai, ZMap and masscan fingerprints a SYN probe carries.
fn marks(dst: u32, dport: u16, probe: &Probe) -> [bool; 3] {
    [
        probe.seq == dst,
        probe.id == ZMAP_IP_ID,
        probe.id == masscan_ip_id(dst, dport, probe.seq),
    ]
}

fn expected_marks(sender: Sender) -> [bool; 3] {
    [
        sender == Sender::Mirai,
        sender == Sender::Zmap,
        sender == Sender::Masscan,
    ]
}

/// A random IP ID other than ZMap's, so that ID marks ZMap alone.
fn plain_ip_id(rng: &mut impl Rng) -> u16 {
    loop {
        let id = rng.random();
        if id != ZMAP_IP_ID {
            return id;
        }
    }
}

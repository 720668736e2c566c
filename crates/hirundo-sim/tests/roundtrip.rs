//! Captures read back with etherparse agree with their summary, byte for byte and
//! fingerprint for fingerprint.

mod common;

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::net::Ipv4Addr;

use common::{read_pcap, Packet, Transport};
use hirundo_sim::{write_pcap, Sender, SynthConfig, SynthSummary};

fn capture(cfg: &SynthConfig) -> (Vec<u8>, SynthSummary) {
    let mut pcap = Vec::new();
    let summary = write_pcap(&mut pcap, cfg).expect("write to memory");
    (pcap, summary)
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

#[test]
fn same_config_gives_identical_bytes() {
    let cfg = SynthConfig {
        packets: 30_000,
        seed: 42,
        ..SynthConfig::default()
    };
    let (first, first_summary) = capture(&cfg);
    let (second, second_summary) = capture(&cfg);
    assert_eq!(hash(&first), hash(&second));
    assert_eq!(first, second);
    assert_eq!(first_summary, second_summary);

    let (other, _) = capture(&SynthConfig { seed: 43, ..cfg });
    assert_ne!(hash(&first), hash(&other));
}

#[test]
fn every_frame_parses_and_matches_the_summary() {
    let cfg = SynthConfig {
        packets: 50_000,
        dst_net: (Ipv4Addr::new(198, 51, 100, 0), 22),
        ..SynthConfig::default()
    };
    let (pcap, summary) = capture(&cfg);
    let packets = read_pcap(&pcap);
    assert_eq!(packets.len() as u64, summary.packets);
    assert_eq!(pcap.len() as u64, 24 + 16 * summary.packets + summary.bytes);

    let mut per_dst_port = BTreeMap::new();
    for packet in &packets {
        *per_dst_port.entry(packet.port_key()).or_insert(0) += 1;
    }
    assert_eq!(per_dst_port, summary.per_dst_port);

    let count = |class: fn(&Packet) -> bool| packets.iter().filter(|p| class(p)).count() as u64;
    assert_eq!(count(Packet::is_syn_probe), summary.tcp_syn);
    assert_eq!(
        count(|p| matches!(p.transport, Transport::Udp { .. })),
        summary.udp
    );
    assert_eq!(
        count(|p| matches!(p.transport, Transport::Icmp { icmp_type: 8, .. })),
        summary.icmp
    );
    assert_eq!(count(is_backscatter), summary.backscatter);
    assert_eq!(
        summary.tcp_syn + summary.udp + summary.icmp + summary.backscatter,
        summary.packets
    );
}

#[test]
fn the_mix_looks_like_a_darknet() {
    let cfg = SynthConfig {
        packets: 100_000,
        ..SynthConfig::default()
    };
    let (pcap, summary) = capture(&cfg);
    let share = |n: u64| n as f64 / summary.packets as f64;
    assert!(
        (0.83..0.87).contains(&share(summary.tcp_syn)),
        "{summary:?}"
    );
    assert!((0.08..0.10).contains(&share(summary.udp)), "{summary:?}");
    assert!((0.02..0.04).contains(&share(summary.icmp)), "{summary:?}");
    assert!(
        (0.02..0.04).contains(&share(summary.backscatter)),
        "{summary:?}"
    );

    // 23/TCP leads, then the TSUBAME top five follow.
    let mut tcp: Vec<(u64, u16)> = summary
        .per_dst_port
        .iter()
        .filter(|((proto, _), _)| *proto == 6)
        .map(|(&(_, port), &n)| (n, port))
        .collect();
    tcp.sort_unstable_by(|a, b| b.cmp(a));
    let top: Vec<u16> = tcp.iter().take(5).map(|&(_, port)| port).collect();
    assert_eq!(top[0], 23, "{top:?}");
    assert!(
        [445, 1433, 80, 22].iter().all(|port| top.contains(port)),
        "{top:?}"
    );

    let packets = read_pcap(&pcap);
    let (start, end) = (cfg.start_ns, cfg.start_ns + cfg.span_ns);
    assert!(
        packets.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns),
        "timestamps go backwards"
    );
    assert!(packets.iter().all(|p| (start..end).contains(&p.ts_ns)));
    assert!(
        packets.last().unwrap().ts_ns > end - cfg.span_ns / 1000,
        "the span is filled"
    );

    let darknet = |addr: u32| addr >> 8 == u32::from(cfg.dst_net.0) >> 8;
    assert!(packets.iter().all(|p| darknet(p.dst) && !darknet(p.src)));
    let destinations: HashSet<u32> = packets.iter().map(|p| p.dst).collect();
    assert_eq!(destinations.len(), 256, "destinations cover the /24");

    // Zipf-like: a few sources send much, most send little.
    let mut per_source: HashMap<u32, u64> = HashMap::new();
    for packet in packets.iter().filter(|p| !is_backscatter(p)) {
        *per_source.entry(packet.src).or_default() += 1;
    }
    let busiest = per_source.values().max().unwrap();
    assert!(
        *busiest > 1_000 && per_source.len() > 10_000,
        "{busiest} {}",
        per_source.len()
    );
}

#[test]
fn udp_probes_carry_their_service_payloads() {
    let (pcap, _) = capture(&SynthConfig {
        packets: 20_000,
        ..SynthConfig::default()
    });
    for packet in read_pcap(&pcap) {
        let Transport::Udp { dport, payload } = &packet.transport else {
            continue;
        };
        let ok = match dport {
            53 => payload[2..6] == [1, 0, 0, 1] && payload.windows(5).any(|w| w == b"\x03isc\x03"),
            123 => payload[0] == 0xe3 || payload[..4] == [0x17, 0, 3, 0x2a],
            161 => payload.starts_with(b"\x30\x29\x02\x01\x01\x04\x06public"),
            1900 => payload.starts_with(b"M-SEARCH * HTTP/1.1\r\n"),
            5060 => payload.starts_with(b"OPTIONS sip:") && payload.ends_with(b"\r\n\r\n"),
            11211 => &payload[8..] == b"stats\r\n",
            _ => false,
        };
        assert!(ok, "port {dport}: {payload:?}");
    }
}

#[test]
fn backscatter_comes_from_a_few_victims() {
    let (pcap, summary) = capture(&SynthConfig {
        packets: 50_000,
        ..SynthConfig::default()
    });
    let packets = read_pcap(&pcap);
    let backscatter: Vec<&Packet> = packets.iter().filter(|p| is_backscatter(p)).collect();
    assert_eq!(backscatter.len() as u64, summary.backscatter);
    let victims: HashSet<u32> = backscatter.iter().map(|p| p.src).collect();
    assert!((2..=8).contains(&victims.len()), "{victims:?}");
    for packet in backscatter {
        if let Transport::Icmp { payload, .. } = &packet.transport {
            // The quoted flood packet: from this darknet address to the victim.
            let quoted =
                etherparse::Ipv4HeaderSlice::from_slice(payload).expect("quoted IPv4 header");
            assert_eq!(
                quoted.to_header().calc_header_checksum(),
                quoted.header_checksum()
            );
            assert_eq!(
                (quoted.source(), quoted.destination()),
                (packet.dst.to_be_bytes(), packet.src.to_be_bytes())
            );
            assert_eq!(payload.len(), 28);
        }
    }
}

/// Classifies every SYN probe by the fingerprints of DESIGN.md alone and checks each
/// tool's invariants and the per-sender ground truth.
#[test]
fn tool_fingerprints_hold_and_match_the_ground_truth() {
    let (pcap, summary) = capture(&SynthConfig {
        packets: 100_000,
        seed: 7,
        ..SynthConfig::default()
    });
    let packets = read_pcap(&pcap);
    let mut per_sender = BTreeMap::new();
    let mut masscan_ports: HashMap<u32, HashSet<u16>> = HashMap::new();
    for packet in &packets {
        if !packet.is_syn_probe() {
            assert_ne!(packet.id, 54321, "only ZMap's probes carry IP ID 54321");
            continue;
        }
        let Transport::Tcp {
            sport,
            dport,
            seq,
            window,
            ref options,
            ..
        } = packet.transport
        else {
            unreachable!()
        };
        let sender = classify(packet);
        match sender {
            Sender::Mirai => {
                assert!(dport == 23 || dport == 2323, "Mirai to {dport}");
                assert!(options.is_empty() && !packet.dont_fragment);
            }
            Sender::Zmap => assert_eq!((window, options.as_slice()), (65535, &[2, 4, 5, 0xb4][..])),
            Sender::Masscan => {
                assert_eq!(window, 1024);
                assert!(
                    options.is_empty() && packet.ttl >= 240,
                    "ttl {}",
                    packet.ttl
                );
                masscan_ports.entry(packet.src).or_default().insert(sport);
            }
            Sender::Linux => {
                assert_eq!(window, 64240);
                assert!(
                    packet.dont_fragment && (45..=60).contains(&packet.ttl),
                    "ttl {}",
                    packet.ttl
                );
            }
            Sender::Windows => assert!(
                packet.dont_fragment && (105..=125).contains(&packet.ttl),
                "ttl {}",
                packet.ttl
            ),
        }
        assert_ne!(seq == packet.dst, sender != Sender::Mirai);
        *per_sender.entry(sender).or_insert(0) += 1;
    }
    assert_eq!(per_sender, summary.per_sender);
    assert!(
        masscan_ports.values().all(|ports| ports.len() == 1),
        "masscan keeps one source port"
    );
}

/// The sender of a SYN probe, from what is on the wire.
fn classify(packet: &Packet) -> Sender {
    let Transport::Tcp {
        dport,
        seq,
        ref options,
        ..
    } = packet.transport
    else {
        panic!("not TCP")
    };
    let mirai = seq == packet.dst;
    let zmap = packet.id == 54321;
    let masscan = packet.id == (packet.dst ^ u32::from(dport) ^ seq) as u16;
    match (mirai, zmap, masscan) {
        (true, false, false) => Sender::Mirai,
        (false, true, false) => Sender::Zmap,
        (false, false, true) => Sender::Masscan,
        (false, false, false)
            if options.starts_with(&[2, 4, 5, 0xb4, 4, 2, 8, 10])
                && options.ends_with(&[1, 3, 3, 7]) =>
        {
            Sender::Linux
        }
        (false, false, false) if options == &[2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2] => {
            Sender::Windows
        }
        marks => panic!("ambiguous or unknown SYN: marks {marks:?}, options {options:?}"),
    }
}

fn is_backscatter(packet: &Packet) -> bool {
    match packet.transport {
        Transport::Tcp { syn, ack, rst, .. } => ack && (syn || rst),
        Transport::Icmp {
            icmp_type, code, ..
        } => (icmp_type, code) == (3, 3),
        Transport::Udp { .. } => false,
    }
}

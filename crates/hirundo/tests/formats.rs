//! Every capture format and link type, in files written by real tools (tcpdump, editcap,
//! mergecap, tcprewrite, gzip, zstd), ingested by `hirundo ingest`, and cross-checked against
//! tshark: per-port packet counts from `hirundo query` equal tshark's on the same file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

/// Real captures from the tcpdump test corpus, one per link type we decode, chosen to contain
/// plain TCP/UDP traffic (no tunnels: tshark would count the inner port of those).
const BASES: &[&str] = &[
    "print-flags.pcap",      // Ethernet, TCP
    "whois.pcap",            // Ethernet, TCP
    "ntp.pcap",              // Ethernet, UDP
    "isup.pcap",             // Ethernet, big-endian pcap
    "mptcp-v1.pcap",         // Linux SLL, TCP with options
    "resp_1_benchmark.pcap", // Linux SLL
    "quic_handshake.pcap",   // BSD null/loopback, UDP over IPv6 and IPv4
    "LINKTYPE_RAW_ipv4.pcap",
];

/// Writes the variants of `base` that real tools produce into `dir`; returns their paths.
fn variants(base: &Path, dir: &Path) -> Vec<PathBuf> {
    let name = base.file_stem().unwrap().to_str().unwrap();
    let out = |suffix: &str| dir.join(format!("{name}.{suffix}"));
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let mut made = Vec::new();
    let mut edit = |args: &[&str], target: PathBuf| {
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        all.push(s(base));
        all.push(s(&target));
        tool(
            "editcap",
            &all.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        made.push(target);
    };
    edit(&["-F", "nsecpcap"], out("nsec.pcap"));
    edit(&["-F", "pcapng"], out("pcapng"));
    edit(&["-F", "pcap", "-s", "60"], out("snap60.pcap"));
    let ng = out("pcapng");
    let gz = out("pcapng.gz");
    std::fs::write(&gz, compress("gzip", &ng)).unwrap();
    let zst = out("nsec.pcap.zst");
    std::fs::write(&zst, compress("zstd", &out("nsec.pcap"))).unwrap();
    let tcpdump_copy = out("tcpdump.pcap");
    tool("tcpdump", &["-r", &s(base), "-w", &s(&tcpdump_copy)]);
    made.extend([gz, zst, tcpdump_copy]);
    made
}

fn compress(program: &str, file: &Path) -> Vec<u8> {
    let out = std::process::Command::new(program)
        .args(["-c", file.to_str().unwrap()])
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed: {e}"));
    assert!(out.status.success());
    out.stdout
}

/// Ingests `files` into a fresh store and checks each one against tshark.
fn assert_matches_tshark(files: &[PathBuf]) {
    let db = tempfile::tempdir().unwrap();
    let summary = db.path().join("summary.json");
    let mut args = vec![
        "ingest".to_owned(),
        "--summary-json".into(),
        summary.to_str().unwrap().into(),
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_owned()));
    let store = db.path().join("store");
    hirundo_ok(&store, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let reports: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(reports.len(), files.len());
    let stored: std::collections::BTreeSet<&str> = reports
        .iter()
        .filter(|r| r["status"] == "ingested")
        .map(|r| r["hash"].as_str().unwrap())
        .collect();
    for report in &reports {
        let path = Path::new(report["path"].as_str().unwrap());
        // A tool may write the very bytes of another input (tcpdump -r -w of a microsecond
        // pcap): the store keeps one copy, and the checks below run on it.
        let hash = report["hash"].as_str().unwrap();
        assert!(
            report["status"] == "ingested"
                || (report["status"] == "already_ingested" && stored.contains(hash)),
            "{report}"
        );
        let frames = capinfos_count(path);
        let stored_frames = query(
            &store,
            &format!("SELECT frames FROM files WHERE hash = '{hash}'"),
        );
        assert_eq!(
            stored_frames[0]["frames"].as_u64(),
            Some(frames),
            "frames of {}",
            path.display()
        );
        let ours = hirundo_port_counts(&store, Some(&hash[..16]));
        let theirs = tshark_port_counts(path);
        assert!(!theirs.is_empty() || ours.is_empty(), "{}", path.display());
        assert_eq!(
            ours,
            theirs,
            "per-port counts of {} differ from tshark's",
            path.display()
        );
    }
}

fn capinfos_count(file: &Path) -> u64 {
    let out = tool(
        "capinfos",
        &["-M", "-c", "-T", "-r", file.to_str().unwrap()],
    );
    out.trim()
        .rsplit('\t')
        .next()
        .unwrap()
        .parse()
        .expect("capinfos count")
}

#[test]
fn pcap_pcapng_nsec_snaplen_gzip_zstd_of_every_link_type_match_tshark() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for base in BASES {
        let base = corpus(base);
        files.push(base.clone());
        files.extend(variants(&base, dir.path()));
    }
    assert_matches_tshark(&files);
}

#[test]
fn vlan_tags_added_by_tcprewrite_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("vlan.pcap");
    let double = dir.path().join("qinq.pcap");
    let base = corpus("print-flags.pcap");
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let vlan = [
        "--enet-vlan=add",
        "--enet-vlan-tag=7",
        "--enet-vlan-cfi=0",
        "--enet-vlan-pri=0",
    ];
    let mut args: Vec<String> = vlan.iter().map(|a| a.to_string()).collect();
    args.extend([
        format!("--infile={}", s(&base)),
        format!("--outfile={}", s(&single)),
    ]);
    tool(
        "tcprewrite",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // tcprewrite adds one tag per pass: a second pass over the tagged file stacks 802.1Q tags.
    let mut args: Vec<String> = vlan.iter().map(|a| a.replace("tag=7", "tag=9")).collect();
    args.extend([
        format!("--infile={}", s(&single)),
        format!("--outfile={}", s(&double)),
    ]);
    tool(
        "tcprewrite",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let tags = tool(
        "tshark",
        &[
            "-r",
            &s(&double),
            "-T",
            "fields",
            "-e",
            "vlan.id",
            "-c",
            "1",
        ],
    );
    assert!(
        tags.contains('7') && tags.contains('9'),
        "two stacked tags expected, tshark says {tags}"
    );
    assert_matches_tshark(&[single, double]);
}

#[test]
fn pcapng_with_several_interfaces_and_sections() {
    let dir = tempfile::tempdir().unwrap();
    let merged = dir.path().join("merged.pcapng");
    let sections = dir.path().join("sections.pcapng");
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    // Ethernet, Linux SLL and BSD null in one section: three interfaces, three link types.
    let inputs = ["whois.pcap", "mptcp-v1.pcap", "quic_handshake.pcap"].map(|f| s(&corpus(f)));
    let mut args = vec!["-w".to_owned(), s(&merged)];
    args.extend(inputs.iter().cloned());
    tool(
        "mergecap",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let idbs = tool(
        "tshark",
        &[
            "-r",
            &s(&merged),
            "-T",
            "fields",
            "-e",
            "frame.interface_id",
        ],
    );
    let interfaces: std::collections::BTreeSet<&str> = idbs.lines().collect();
    assert_eq!(
        interfaces.len(),
        3,
        "mergecap should write three interfaces"
    );
    // Two sections: pcapng files concatenated are one valid pcapng with two SHBs.
    let ng = dir.path().join("ntp.pcapng");
    tool(
        "editcap",
        &["-F", "pcapng", &s(&corpus("ntp.pcap")), &s(&ng)],
    );
    let mut bytes = std::fs::read(&merged).unwrap();
    bytes.extend(std::fs::read(&ng).unwrap());
    std::fs::write(&sections, bytes).unwrap();
    assert_matches_tshark(&[merged, sections]);
}

/// A live capture by tcpdump on the loopback interface of traffic this test sends to itself,
/// in Linux cooked v2 framing (`-i any -y LINUX_SLL2`).
#[test]
fn live_tcpdump_capture_in_sll2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lo-sll2.pcap");
    let port = 47_000 + (std::process::id() % 1000) as u16;
    let filter = format!("udp and dst port {port}");
    let mut capture = std::process::Command::new("timeout")
        .args([
            "20",
            "tcpdump",
            "-i",
            "any",
            "-y",
            "LINUX_SLL2",
            "-c",
            "25",
            "-U",
            "-w",
        ])
        .arg(&file)
        .arg(&filter)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tcpdump is needed");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..25u8 {
        socket.send_to(&[i; 16], ("127.0.0.1", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = capture.wait().unwrap();
    assert!(
        status.success(),
        "tcpdump did not capture 25 packets in time"
    );
    let encap = tool("capinfos", &["-T", "-E", file.to_str().unwrap()]);
    assert!(
        encap.contains("sll2") || encap.contains("SLL2"),
        "not SLL2: {encap}"
    );
    let theirs = tshark_port_counts(&file);
    assert_eq!(theirs, BTreeMap::from([((17, port), 25)]));
    assert_matches_tshark(&[file]);
}

//! The captures are read by the tools analysts use: tshark and tcpdump.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hirundo_sim::{write_pcap, SynthConfig, SynthSummary};
use tempfile::TempDir;

const PACKETS: u64 = 2_000;

fn capture() -> (TempDir, PathBuf, SynthSummary) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("synth.pcap");
    let mut out = BufWriter::new(File::create(&path).expect("create capture"));
    let summary = write_pcap(
        &mut out,
        &SynthConfig {
            packets: PACKETS,
            ..SynthConfig::default()
        },
    )
    .expect("write");
    out.into_inner().expect("flush");
    (dir, path, summary)
}

fn run(tool: &str, args: &[&str], path: &Path) -> Output {
    let binary = Path::new("/usr/bin").join(tool);
    assert!(
        binary.exists(),
        "{} is missing: this test needs it (apt-get install {tool})",
        binary.display()
    );
    let output = Command::new(&binary)
        .args(args)
        .arg(path)
        .output()
        .expect("run tool");
    assert!(
        output.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output");
    output
}

#[test]
fn tshark_counts_the_same_tcp_ports() {
    let (_dir, path, summary) = capture();
    let output = run(
        "tshark",
        &["-n", "-T", "fields", "-e", "tcp.dstport", "-r"],
        &path,
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count() as u64, PACKETS, "one line per frame");
    let mut per_port: BTreeMap<u16, u64> = BTreeMap::new();
    for port in stdout.lines().filter(|line| !line.is_empty()) {
        *per_port.entry(port.parse().expect("a port")).or_default() += 1;
    }
    let expected: BTreeMap<u16, u64> = summary
        .per_dst_port
        .iter()
        .filter(|((proto, _), _)| *proto == 6)
        .map(|(&(_, port), &n)| (port, n))
        .collect();
    assert_eq!(per_port, expected);
}

#[test]
fn tshark_finds_nothing_malformed_with_checksums_checked() {
    let (_dir, path, _) = capture();
    let checks = [
        "ip.check_checksum:TRUE",
        "tcp.check_checksum:TRUE",
        "udp.check_checksum:TRUE",
    ];
    let with_checks = |filter: &'static str| {
        let mut args: Vec<&str> = checks.iter().flat_map(|check| ["-o", check]).collect();
        args.extend(["-n", "-Y", filter, "-r"]);
        String::from_utf8(run("tshark", &args, &path).stdout).unwrap()
    };
    // Wireshark warns of every RST ("Connection reset"); backscatter has RSTs by design.
    let flagged = with_checks(
        "_ws.malformed || _ws.expert.severity >= error || (_ws.expert.severity >= warning && !tcp.connection.rst) \
         || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" \
         || icmp.checksum.status == \"Bad\"",
    );
    assert!(flagged.is_empty(), "tshark flags these frames:\n{flagged}");
    // The checksums were verified, not skipped.
    let verified = with_checks("ip.checksum.status == \"Good\"");
    assert_eq!(verified.lines().count() as u64, PACKETS);
}

#[test]
fn tcpdump_reads_every_frame_without_complaint() {
    let (_dir, path, _) = capture();
    let brief = String::from_utf8(run("tcpdump", &["-nn", "-q", "-r"], &path).stdout).unwrap();
    assert_eq!(brief.lines().count() as u64, PACKETS, "one line per frame");
    let verbose = String::from_utf8(run("tcpdump", &["-nn", "-vv", "-r"], &path).stdout).unwrap();
    for complaint in ["bad cksum", "incorrect", "[|", "truncated", "malformed"] {
        let line = verbose.lines().find(|line| line.contains(complaint));
        assert!(
            line.is_none(),
            "tcpdump says {complaint:?}: {}",
            line.unwrap_or_default()
        );
    }
}

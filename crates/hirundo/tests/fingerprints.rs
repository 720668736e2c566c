//! Tool fingerprints on real packets: Debian's zmap, masscan, nmap and hping3 scan a darknet
//! prefix from a "scanner" network namespace into a "sensor" namespace, where tcpdump records
//! what arrives. After `hirundo ingest`, every SYN probe of each tool carries that tool's
//! fingerprint (hping3's carries none) and no other, each tool sent exactly the probes its
//! command line asks for, and the counts agree with tshark's reading of the same capture.
//! (Mirai has no package; its fingerprint is checked on simulator packets in `simulate.rs`.)
//!
//! Needs root and `ip netns`; without them the test says why and skips.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::lab::{assert_store_holds_scans, run_scans, scans, skip_reason, Lab, SENSOR_IF};
use common::{hirundo_ok, hirundo_port_counts, tool, tshark_port_counts};

/// Per source address, the TCP SYN (not SYN-ACK) frames tshark finds in `file`.
fn tshark_syn_sources(file: &Path) -> BTreeMap<String, u64> {
    let out = tool(
        "tshark",
        &[
            "-r",
            file.to_str().unwrap(),
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "-T",
            "fields",
            "-e",
            "ip.src",
        ],
    );
    let mut counts = BTreeMap::new();
    for src in out.lines() {
        *counts.entry(src.to_owned()).or_default() += 1;
    }
    counts
}

#[test]
fn real_scanners_get_their_fingerprints_and_no_other() {
    if let Some(reason) = skip_reason() {
        eprintln!("real_scanners_get_their_fingerprints_and_no_other: skipped: {reason}");
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("darknet.pcap");
    let scans = scans();
    let mut lab = Lab::new("fp", &scans);
    let sensor = lab.sensor.clone();

    // The sensor: tcpdump on its side of the link, IPv4 only (no IPv6 neighbour discovery).
    let tcpdump_args = format!("-i {SENSOR_IF} -n --immediate-mode -U -w darknet.pcap ip");
    let tcpdump_args: Vec<String> = tcpdump_args.split_whitespace().map(String::from).collect();
    let tcpdump_log = dir.path().join("tcpdump.log");
    let tcpdump = lab.spawn(&sensor, "tcpdump", &tcpdump_args, dir.path(), &tcpdump_log);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&tcpdump_log)
        .unwrap_or_default()
        .contains("listening on")
    {
        if let Ok(Some(status)) = lab.children[tcpdump].try_wait() {
            panic!(
                "tcpdump exited ({status}): {:?}",
                std::fs::read_to_string(&tcpdump_log)
            );
        }
        assert!(Instant::now() < deadline, "tcpdump did not start listening");
        sleep(Duration::from_millis(20));
    }

    run_scans(&mut lab, dir.path(), &scans);

    // Stop the capture after the last probe has had time to arrive.
    sleep(Duration::from_millis(300));
    let pid = lab.children[tcpdump].id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(killed.success(), "kill -INT {pid}");
    let status = lab.wait(tcpdump, "tcpdump", Duration::from_secs(10));
    let tcpdump_said = std::fs::read_to_string(&tcpdump_log).unwrap();
    assert!(status.success(), "tcpdump: {status}: {tcpdump_said}");
    assert!(
        tcpdump_said.contains("\n0 packets dropped by kernel"),
        "tcpdump dropped packets: {tcpdump_said}"
    );
    drop(lab);

    // The store.
    let db = dir.path().join("db");
    let file = capture.to_str().unwrap();
    hirundo_ok(&db, &["ingest", "--sensor", "darknet", file]);
    let store_syns = assert_store_holds_scans(&db, &scans);

    // tshark reads the same capture the same way.
    assert_eq!(tshark_syn_sources(&capture), store_syns, "SYNs per source");
    assert_eq!(hirundo_port_counts(&db, None), tshark_port_counts(&capture));

    let took = started.elapsed();
    eprintln!("fingerprints of real scanners checked in {took:?}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

//! Atomicity: `kill -9` at any moment of an ingest leaves the store as it was before a file or
//! as it is after it, never half of it; the next ingest completes it with exact totals.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const FILES: usize = 3;
const PACKETS_PER_FILE: u64 = 400_000;

fn synth(out: &Path, seed: u64) {
    let seed = seed.to_string();
    let packets = PACKETS_PER_FILE.to_string();
    let args = [
        "bench",
        "synth",
        "--packets",
        &packets,
        "--seed",
        &seed,
        "--out",
        out.to_str().unwrap(),
    ];
    hirundo_ok(Path::new("unused"), &args);
}

/// The packet totals the store may show after a crash: those of the first k files, in order.
fn allowed_totals() -> Vec<u64> {
    (0..=FILES as u64).map(|k| k * PACKETS_PER_FILE).collect()
}

fn assert_consistent(db: &Path) -> u64 {
    let stats = stats(db);
    let packets = stats["packets"].as_u64().unwrap();
    assert!(
        allowed_totals().contains(&packets),
        "half a file is visible: {packets} packets"
    );
    let rows = query(db, "SELECT count(*) AS n FROM packets");
    assert_eq!(
        rows[0]["n"].as_u64(),
        Some(packets),
        "the log and the data files disagree"
    );
    packets
}

#[test]
fn kill_9_at_several_points_never_leaves_half_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for i in 0..FILES {
        synth(&inputs.join(format!("day{i}.pcap")), i as u64 + 1);
    }
    let db = dir.path().join("db");
    // Delays spread over the whole run, from start-up to commit time of the later files.
    for delay_ms in [30, 120, 250, 400, 600, 800, 1000, 1300, 1700, 2200] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hirundo"))
            .arg("--db")
            .arg(&db)
            .arg("ingest")
            .arg(&inputs)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        assert_consistent(&db);
    }
    hirundo_ok(&db, &["ingest", inputs.to_str().unwrap()]);
    assert_eq!(assert_consistent(&db), FILES as u64 * PACKETS_PER_FILE);
    assert_eq!(stats(&db)["files"], FILES as u64);
}

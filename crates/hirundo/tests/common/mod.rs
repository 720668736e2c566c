//! Helpers shared by the command-line tests: run `hirundo` and the real tools, find the corpus.

#![allow(dead_code)] // each test binary uses a different subset

pub mod lab;
pub mod network;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The real-capture corpus shipped beside the repository (`../shared/corpus`).
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/tcpdump-tests")
        .join(name)
}

/// Runs `hirundo --db DB ARGS...` and returns its output (whatever the exit code).
pub fn hirundo(db: &Path, args: &[&str]) -> Output {
    hirundo_env(db, args, &[])
}

/// Like [`hirundo`], with environment variables set for it.
pub fn hirundo_env(db: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hirundo"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run hirundo")
}

/// Like [`hirundo`], but the command must succeed; returns stdout.
pub fn hirundo_ok(db: &Path, args: &[&str]) -> String {
    hirundo_ok_env(db, args, &[])
}

/// Like [`hirundo_env`], but the command must succeed; returns stdout.
pub fn hirundo_ok_env(db: &Path, args: &[&str], env: &[(&str, &Path)]) -> String {
    let out = hirundo_env(db, args, env);
    assert!(
        out.status.success(),
        "hirundo {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs SQL through `hirundo query --format json` and returns the rows.
pub fn query(db: &Path, sql: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let out = hirundo_ok(db, &["query", "--format", "json", sql]);
    if out.trim().is_empty() {
        return Vec::new();
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON from query: {e}\n{out}"))
}

/// `hirundo stats --format json`.
pub fn stats(db: &Path) -> serde_json::Value {
    serde_json::from_str(&hirundo_ok(db, &["stats", "--format", "json"])).expect("stats JSON")
}

/// Runs a real tool that the test needs; a missing tool fails the test with the package name.
pub fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed by this test (run scripts/install-deps.sh): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Per (protocol, destination port) counts of the outermost TCP/UDP header of each frame, as
/// tshark decodes the file (IP reassembly off, so that every fragment is its own frame).
pub fn tshark_port_counts(file: &Path) -> std::collections::BTreeMap<(u8, u16), u64> {
    let out = tool(
        "tshark",
        &[
            "-r",
            file.to_str().unwrap(),
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "ipv6.defragment:FALSE",
            "-E",
            "occurrence=f",
            "-E",
            "separator=|",
            "-T",
            "fields",
            "-e",
            "frame.protocols",
            "-e",
            "tcp.dstport",
            "-e",
            "udp.dstport",
        ],
    );
    let mut counts = std::collections::BTreeMap::new();
    for line in out.lines() {
        let fields: Vec<&str> = line.split('|').collect();
        let transport = fields[0]
            .split(':')
            .find(|p| matches!(*p, "tcp" | "udp" | "icmp" | "icmpv6"));
        let key = match transport {
            Some("tcp") => fields[1].parse().ok().map(|port| (6, port)),
            Some("udp") => fields[2].parse().ok().map(|port| (17, port)),
            _ => None,
        };
        if let Some(key) = key {
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

/// The same counts from the store, through `hirundo query`.
pub fn hirundo_port_counts(
    db: &Path,
    file_hash_prefix: Option<&str>,
) -> std::collections::BTreeMap<(u8, u16), u64> {
    let filter = file_hash_prefix
        .map(|h| format!(" AND file_hash = '{h}'"))
        .unwrap_or_default();
    let sql = format!(
        "SELECT protocol, dst_port, count(*) AS n FROM packets \
         WHERE protocol IN (6, 17) AND dst_port IS NOT NULL{filter} GROUP BY 1, 2"
    );
    query(db, &sql)
        .into_iter()
        .map(|row| {
            let proto = row["protocol"].as_u64().unwrap() as u8;
            let port = row["dst_port"].as_u64().unwrap() as u16;
            ((proto, port), row["n"].as_u64().unwrap())
        })
        .collect()
}

/// A store of the built-in scenario, simulated and ingested with `--sensor-from-dir`, and
/// the simulator's ground truth.
pub struct SimulatedStore {
    /// Kept for the life of the store (a static's is never dropped; see [`simulated_store`]).
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub truth: serde_json::Value,
}

/// Simulates the default scenario at `scale` and ingests it. The store goes under the target
/// directory (a `TempDir` kept in a static is never dropped), and the stores of earlier runs
/// whose process is gone are removed first.
pub fn simulated_store(tag: &str, scale: &str) -> SimulatedStore {
    let prefix = format!("{tag}-store-");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    remove_stores_of_dead_runs(&root, &prefix);
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(&root)
        .unwrap();
    let sim = dir.path().join("sim");
    let db = dir.path().join("db");
    let sim_arg = sim.to_str().unwrap();
    let started = Instant::now();
    let simulate = [
        "simulate",
        "--scenario",
        "default",
        "--out",
        sim_arg,
        "--scale",
        scale,
    ];
    hirundo_ok(&db, &simulate);
    let truth = serde_json::from_slice(&std::fs::read(sim.join("truth.json")).unwrap()).unwrap();
    eprintln!("simulate: {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    hirundo_ok(&db, &["ingest", "--sensor-from-dir", sim_arg, sim_arg]);
    eprintln!("ingest: {:.1} s", started.elapsed().as_secs_f64());
    // The captures are stored now; only the store and the truth are needed.
    std::fs::remove_dir_all(&sim).unwrap();
    SimulatedStore { dir, db, truth }
}

fn remove_stores_of_dead_runs(root: &Path, prefix: &str) {
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

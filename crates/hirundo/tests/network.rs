//! The observation network end to end: `hirundo sensor` captures a darknet and delivers its
//! batches to `hirundo collector` over HTTPS, which writes them into the store.
//!
//! - Real scanners (zmap, masscan, nmap, hping3 from Debian) probe a darknet routed to a
//!   sensor namespace, while the collector is killed (-9) and restarted, and the sensor is
//!   killed (-9) with batches in its spool and restarted: the store then holds exactly the
//!   probes the scanners' command lines asked for, each once, with its tool's fingerprint.
//!   Needs root and `ip netns` (skips and says why without them).
//! - `hirundo bench send` sends a synthetic capture at top speed from the scanner namespace:
//!   the sensor captures every frame, and the store then holds what `hirundo ingest` stores
//!   from the same file.
//! - Two sensors replay simulated darknet days to two collectors writing one store at once:
//!   the store then holds what `hirundo ingest` stores from the same files; batches sent again
//!   are acknowledged as duplicates and not stored; wrong, revoked and borrowed credentials,
//!   malformed and oversized batches are refused, counted, and store nothing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::lab::{
    assert_store_holds_scans, run_scans, scans, skip_reason, Lab, DARKNET, DARKNET_PREFIX, SCAN_IF,
    SENSOR_IF,
};
use common::network::{free_port, make_pki, metric, sensor_token, spooled, wait_metric, Pki, Proc};
use common::{hirundo_ok, query, stats};

const SECOND: Duration = Duration::from_secs(1);

fn s(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

fn collector_args(pki: &Pki, sensors: &Path, port: u16, metrics: u16, extra: &str) -> Vec<String> {
    let mut args = words(&format!(
        "collector --listen 127.0.0.1:{port} --metrics 127.0.0.1:{metrics} --tls-cert {} \
         --tls-key {} --sensors {} --commit-ms 100 {extra}",
        s(&pki.cert),
        s(&pki.key),
        s(sensors)
    ));
    args.retain(|a| !a.is_empty());
    args
}

/// A private CA, and a sensors file that knows one sensor: the PKI, the sensor's token file
/// and the sensors file.
fn pki_with_sensor(d: &Path, name: &str) -> (Pki, PathBuf, PathBuf) {
    let pki = make_pki(d);
    let (token, line) = sensor_token(d, name);
    let sensors = d.join("sensors");
    std::fs::write(&sensors, format!("{line}\n")).unwrap();
    (pki, token, sensors)
}

/// `hirundo sensor` options shared by every sensor of these tests; `source` is `--iface IF`
/// or `--read FILE`.
fn sensor_args(
    pki: &Pki,
    name: &str,
    token: &Path,
    port: u16,
    spool: &Path,
    metrics: u16,
    source: &str,
) -> Vec<String> {
    words(&format!(
        "sensor {source} --darknet {DARKNET}/{DARKNET_PREFIX} --name {name} \
         --collector https://127.0.0.1:{port} --token-file {} --ca {} --spool {} \
         --metrics 127.0.0.1:{metrics} --batch-ms 200 --log-every-s 1",
        s(token),
        s(&pki.ca),
        s(spool)
    ))
}

#[test]
fn real_scanners_reach_the_store_once_through_kills_and_restarts() {
    if let Some(reason) = skip_reason() {
        eprintln!(
            "real_scanners_reach_the_store_once_through_kills_and_restarts: skipped: {reason}"
        );
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scans = scans();
    let mut lab = Lab::new("net", &scans);
    let ns = Some(lab.sensor.clone());
    let ns = ns.as_deref();
    let (pki, token, sensors) = pki_with_sensor(d, "tokyo-1");
    let db = d.join("db");
    let spool = d.join("spool");
    // The collector on the sensor host's loopback, the sensor on the darknet link.
    let (port, collector_metrics, sensor_metrics) = (8443, 9101, 9102);
    let collector = || collector_args(&pki, &sensors, port, collector_metrics, "");
    let iface = format!("--iface {SENSOR_IF}");
    let sensor = || {
        sensor_args(
            &pki,
            "tokyo-1",
            &token,
            port,
            &spool,
            sensor_metrics,
            &iface,
        )
    };
    let sensor_addr = format!("127.0.0.1:{sensor_metrics}");
    let sent = |name: &str| metric(ns, &sensor_addr, name).unwrap_or(-1.0);

    let mut c = Proc::start("collector", ns, d, &db, &collector());
    c.wait_for_log("collector listening", 1, 10 * SECOND);
    let mut p = Proc::start("sensor", ns, d, &db, &sensor());
    p.wait_for_log("capturing", 1, 10 * SECOND);

    // zmap and masscan while both run: delivered at once.
    run_scans(&mut lab, d, &scans[0..2]);
    let first: u64 = scans[0..2].iter().map(|s| s.probes).sum();
    wait_metric(
        &p,
        ns,
        &sensor_addr,
        "hirundo_sensor_sent_records_total",
        first as f64,
        10 * SECOND,
    );

    // The collector dies: nmap's probes wait in the spool.
    c.kill9();
    run_scans(&mut lab, d, &scans[2..3]);
    let second = first + scans[2].probes;
    wait_metric(
        &p,
        ns,
        &sensor_addr,
        "hirundo_sensor_spooled_records_total",
        second as f64,
        10 * SECOND,
    );
    assert_eq!(sent("hirundo_sensor_sent_records_total"), first as f64);
    // Then the sensor dies too, with those batches in its spool.
    p.kill9();
    assert!(!spooled(&spool).is_empty(), "nmap's batches are spooled");

    // Both come back: the spool is delivered once, and hping3's probes follow.
    let mut c = Proc::start("collector", ns, d, &db, &collector());
    c.wait_for_log("collector listening", 2, 10 * SECOND);
    let mut p = Proc::start("sensor", ns, d, &db, &sensor());
    p.wait_for_log("capturing", 2, 10 * SECOND);
    run_scans(&mut lab, d, &scans[3..4]);
    let resumed = scans[2].probes + scans[3].probes;
    wait_metric(
        &p,
        ns,
        &sensor_addr,
        "hirundo_sensor_sent_records_total",
        resumed as f64,
        15 * SECOND,
    );
    assert!(spooled(&spool).is_empty(), "spool delivered");
    assert_eq!(sent("hirundo_sensor_kernel_dropped_packets_total"), 0.0);
    p.stop();
    c.stop();
    drop(lab);

    // Exactly the probes, once each, with their fingerprints; nothing else.
    let total: u64 = scans.iter().map(|s| s.probes).sum();
    let syns: u64 = assert_store_holds_scans(&db, &scans).values().sum();
    assert_eq!(syns, total);
    let st = stats(&db);
    assert_eq!(st["packets"], total, "stats: {st}");
    assert!(
        st["sensors"]["tokyo-1"]["batches"].as_u64().unwrap() >= 3,
        "{st}"
    );
    let took = started.elapsed();
    eprintln!("network with real scanners checked in {took:?}");
}

/// The darknet of `hirundo bench synth` captures.
const SYNTH_DARKNET: &str = "203.0.113.0/24";

#[test]
fn a_capture_sent_at_top_speed_is_captured_and_stored_whole() {
    if let Some(reason) = skip_reason() {
        eprintln!("a_capture_sent_at_top_speed_is_captured_and_stored_whole: skipped: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let capture = d.join("synth.pcap");
    let packets = 50_000;
    hirundo_ok(
        &d.join("unused-db"),
        &[
            "bench",
            "synth",
            "--packets",
            &packets.to_string(),
            "--out",
            &s(&capture),
        ],
    );
    let reference = d.join("reference");
    hirundo_ok(&reference, &["ingest", "--sensor", "fast-1", &s(&capture)]);

    let mut lab = Lab::new("send", &[]);
    let ns = Some(lab.sensor.clone());
    let ns = ns.as_deref();
    let (pki, token, sensors) = pki_with_sensor(d, "fast-1");
    let db = d.join("db");
    let (port, sensor_metrics) = (8443, 9102);
    let mut c = Proc::start(
        "collector",
        ns,
        d,
        &db,
        &collector_args(&pki, &sensors, port, 9101, ""),
    );
    c.wait_for_log("collector listening", 1, 10 * SECOND);
    // The synthetic capture's darknet, beside the lab's.
    let args = sensor_args(
        &pki,
        "fast-1",
        &token,
        port,
        &d.join("spool"),
        sensor_metrics,
        &format!("--iface {SENSOR_IF} --darknet {SYNTH_DARKNET}"),
    );
    let mut p = Proc::start("sensor", ns, d, &db, &args);
    p.wait_for_log("capturing", 1, 10 * SECOND);

    // The whole capture at top speed, bounded by its size.
    let scanner = lab.scanner.clone();
    let bin = env!("CARGO_BIN_EXE_hirundo");
    let send = words(&format!("bench send --iface {SCAN_IF} {}", s(&capture)));
    let sender = lab.spawn(&scanner, bin, &send, d, &d.join("send.log"));
    assert!(lab.wait(sender, "bench send", 30 * SECOND).success());
    let report = std::fs::read_to_string(d.join("send.log")).unwrap();
    let sent: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    assert_eq!(sent["frames"], packets, "{report}");

    let sensor_addr = format!("127.0.0.1:{sensor_metrics}");
    wait_metric(
        &p,
        ns,
        &sensor_addr,
        "hirundo_sensor_sent_records_total",
        packets as f64,
        20 * SECOND,
    );
    let dropped = metric(
        ns,
        &sensor_addr,
        "hirundo_sensor_kernel_dropped_packets_total",
    );
    assert_eq!(dropped, Some(0.0));
    p.stop();
    c.stop();
    drop(lab);
    assert_eq!(
        per_port(&db),
        per_port(&reference),
        "what crossed the wire is what ingest reads from the file"
    );
}

/// Simulated days of two sensors (one capture file each) and the same files ingested
/// directly, for comparison.
fn simulated_day(d: &Path) -> BTreeMap<&'static str, PathBuf> {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/small-scenario.toml");
    let out = d.join("sim");
    hirundo_ok(
        &d.join("unused-db"),
        &[
            "simulate",
            "--scenario",
            &s(&scenario),
            "--out",
            &s(&out),
            "--scale",
            "4",
        ],
    );
    let mut files = BTreeMap::new();
    for sensor in ["alpha", "beta"] {
        // The largest file of the sensor: the busiest day (and every format the scenario uses
        // is read by the same reader as ingest).
        let biggest = std::fs::read_dir(out.join(sensor))
            .unwrap()
            .map(|e| e.unwrap().path())
            .max_by_key(|p| std::fs::metadata(p).unwrap().len())
            .unwrap();
        files.insert(sensor, biggest);
    }
    files
}

/// Per sensor, protocol and port: packets, as SQL sees them.
fn per_port(db: &Path) -> Vec<serde_json::Map<String, serde_json::Value>> {
    query(
        db,
        "SELECT sensor, protocol, dst_port, tool, src_country, count(*) AS n FROM packets \
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
    )
}

fn curl_post(port: u16, token: &str, pki: &Pki, body: &Path) -> (u16, String) {
    let out = Command::new("curl")
        .args([
            "-s",
            "-w",
            "\n%{http_code}",
            "--max-time",
            "30",
            "--cacert",
            &s(&pki.ca),
        ])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["--data-binary", &format!("@{}", s(body))])
        .arg(format!("https://127.0.0.1:{port}/v1/batches"))
        .output()
        .expect("curl is needed (Debian package curl)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap(), body.to_owned())
}

#[test]
fn two_collectors_store_what_ingest_stores_once_and_refuse_what_they_must() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = simulated_day(d);
    let reference = d.join("reference");
    for (sensor, file) in &files {
        hirundo_ok(&reference, &["ingest", "--sensor", sensor, &s(file)]);
    }

    let pki = make_pki(d);
    let (alpha_token, alpha) = sensor_token(d, "alpha");
    let (beta_token, beta) = sensor_token(d, "beta");
    let (old_token, old) = sensor_token(d, "old");
    let sensors = d.join("sensors");
    std::fs::write(
        &sensors,
        format!("# test sensors\n{alpha}\n{beta}\n{old} revoked\n"),
    )
    .unwrap();
    let db = d.join("db");
    let ports = [free_port(), free_port()];
    let metrics = [free_port(), free_port()];

    // Alpha replays its day before any collector is up: everything waits in its spool.
    let alpha_spool = d.join("alpha-spool");
    let alpha_metrics = free_port();
    let replay = |name: &str, token: &Path, port: u16, spool: &Path, m: u16, file: &Path| {
        sensor_args(
            &pki,
            name,
            token,
            port,
            spool,
            m,
            &format!("--read {}", s(file)),
        )
    };
    let mut a = Proc::start(
        "alpha",
        None,
        d,
        &db,
        &replay(
            "alpha",
            &alpha_token,
            ports[0],
            &alpha_spool,
            alpha_metrics,
            &files["alpha"],
        ),
    );
    a.wait_for_log("delivering the spool", 1, 30 * SECOND);
    let copies = d.join("copies");
    std::fs::create_dir(&copies).unwrap();
    for batch in spooled(&alpha_spool) {
        std::fs::copy(&batch, copies.join(batch.file_name().unwrap())).unwrap();
    }
    assert!(!spooled(&copies).is_empty());

    // Two collectors on one store; beta sends to the second while alpha's spool drains
    // into the first.
    let mut c0 = Proc::start(
        "collector-0",
        None,
        d,
        &db,
        &collector_args(&pki, &sensors, ports[0], metrics[0], ""),
    );
    let mut c1 = Proc::start(
        "collector-1",
        None,
        d,
        &db,
        &collector_args(
            &pki,
            &sensors,
            ports[1],
            metrics[1],
            "--max-batch-bytes 4000000",
        ),
    );
    c0.wait_for_log("collector listening", 1, 10 * SECOND);
    c1.wait_for_log("collector listening", 1, 10 * SECOND);
    let mut b = Proc::start(
        "beta",
        None,
        d,
        &db,
        &replay(
            "beta",
            &beta_token,
            ports[1],
            &d.join("beta-spool"),
            free_port(),
            &files["beta"],
        ),
    );
    for sensor in [&mut a, &mut b] {
        let status = sensor.wait_exit(60 * SECOND);
        assert!(
            status.success(),
            "{}: {status}\n{}",
            sensor.name,
            sensor.output()
        );
    }
    assert_eq!(
        per_port(&db),
        per_port(&reference),
        "collectors store what ingest stores"
    );

    // Sent again (a lost acknowledgement, a sensor restored from backup): acknowledged as
    // duplicates, stored nothing.
    let alpha_secret = std::fs::read_to_string(&alpha_token).unwrap();
    for copy in spooled(&copies) {
        let (code, body) = curl_post(ports[1], alpha_secret.trim(), &pki, &copy);
        assert_eq!(
            (code, body.contains("\"duplicate\"")),
            (200, true),
            "{body}"
        );
    }
    let c1_metrics = format!("127.0.0.1:{}", metrics[1]);
    let duplicates = metric(
        None,
        &c1_metrics,
        "hirundo_collector_batches_total{sensor=\"alpha\",outcome=\"duplicate\"}",
    );
    assert_eq!(duplicates, Some(spooled(&copies).len() as f64));

    // Refusals, each counted under its reason, none stored.
    let garbage = d.join("garbage");
    std::fs::write(&garbage, b"HIRB\x01 this is no batch").unwrap();
    let (code, body) = curl_post(ports[1], alpha_secret.trim(), &pki, &garbage);
    assert_eq!(code, 400, "{body}");
    let big = d.join("big");
    std::fs::write(&big, vec![0u8; 5_000_000]).unwrap();
    assert_eq!(curl_post(ports[1], alpha_secret.trim(), &pki, &big).0, 413);
    assert_eq!(curl_post(ports[1], "not-a-token", &pki, &garbage).0, 401);
    let old_secret = std::fs::read_to_string(&old_token).unwrap();
    let some_batch = &spooled(&copies)[0];
    assert_eq!(
        curl_post(ports[1], old_secret.trim(), &pki, some_batch).0,
        403
    );
    // Beta's credential with alpha's batch: another sensor's data.
    let beta_secret = std::fs::read_to_string(&beta_token).unwrap();
    assert_eq!(
        curl_post(ports[1], beta_secret.trim(), &pki, some_batch).0,
        403
    );
    // A real sensor with a revoked credential keeps its batches and stores nothing.
    let old_spool = d.join("old-spool");
    let mut o = Proc::start(
        "old",
        None,
        d,
        &db,
        &replay(
            "old",
            &old_token,
            ports[0],
            &old_spool,
            free_port(),
            &files["alpha"],
        ),
    );
    o.wait_for_log("revoked", 1, 30 * SECOND);
    o.stop();
    assert!(
        !spooled(&old_spool).is_empty(),
        "a refused sensor keeps its batches"
    );
    let count = |labels: &str| {
        metric(
            None,
            &c1_metrics,
            &format!("hirundo_collector_rejects_total{{{labels}}}"),
        )
    };
    assert_eq!(count("sensor=\"alpha\",reason=\"malformed\""), Some(1.0));
    assert_eq!(count("sensor=\"alpha\",reason=\"oversized\""), Some(1.0));
    assert_eq!(
        count("sensor=\"unknown\",reason=\"unauthenticated\""),
        Some(1.0)
    );
    assert_eq!(count("sensor=\"old\",reason=\"revoked\""), Some(1.0));
    assert_eq!(count("sensor=\"beta\",reason=\"wrong_sensor\""), Some(1.0));
    let c0_metrics = format!("127.0.0.1:{}", metrics[0]);
    assert!(
        metric(
            None,
            &c0_metrics,
            "hirundo_collector_rejects_total{sensor=\"old\",reason=\"revoked\"}"
        )
        .unwrap()
            >= 1.0
    );
    assert_eq!(
        per_port(&db),
        per_port(&reference),
        "refused batches stored nothing"
    );

    c0.stop();
    c1.stop();
    // The two writers' commits form one unbroken log, and stats agrees with ingest's.
    let log: Vec<_> = std::fs::read_dir(db.join("_log")).unwrap().collect();
    let (got, want) = (stats(&db), stats(&reference));
    assert_eq!(got["commits"].as_u64().unwrap() as usize, log.len());
    for key in [
        "packets",
        "frames",
        "malformed",
        "non_ip",
        "later_fragments",
    ] {
        assert_eq!(got[key], want[key], "stats {key}");
    }
    assert!(got["sensors"]["alpha"]["batches"].as_u64().unwrap() >= 1);
    // A sensor that has not sent for a while shows as silent.
    std::thread::sleep(Duration::from_millis(1100));
    let silent = hirundo_ok(&db, &["stats", "--silent-after", "1s"]);
    assert!(silent.contains("SILENT: sensor alpha"), "{silent}");
}

//! `hirundo simulate`: the captures it writes are what truth.json says, byte for byte as
//! tshark reads them and as `hirundo ingest` stores them; the planted fingerprints, events
//! and source countries are really there; bad scenarios are refused before anything is
//! written; the same seed gives the same bytes.

mod common;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use common::{hirundo, hirundo_ok, hirundo_port_counts, query, stats, tool, tshark_port_counts};
use serde_json::Value;

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/small-scenario.toml")
}

fn simulate(out: &Path, extra: &[&str]) -> Value {
    let db = out.join("unused-db");
    let scenario = scenario();
    let mut args = vec![
        "simulate",
        "--scenario",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    hirundo_ok(&db, &args);
    serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap()
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn capture_files(truth: &Value, out: &Path) -> Vec<PathBuf> {
    truth["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| out.join(f["path"].as_str().unwrap()))
        .collect()
}

#[test]
fn captures_match_truth_in_tshark_and_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let truth = simulate(&out, &[]);
    let totals = &truth["totals"];
    let files = capture_files(&truth, &out);
    assert_eq!(files.len(), 12, "6 days x 2 sensors");
    let formats: std::collections::BTreeSet<&str> = truth["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats.len(), 4, "every format is written: {formats:?}");

    // tshark: frames per file, and per (protocol, port) counts over all files.
    let mut tshark_ports: BTreeMap<(u8, u16), u64> = BTreeMap::new();
    for (file, entry) in files.iter().zip(truth["files"].as_array().unwrap()) {
        let frames = tool(
            "tshark",
            &[
                "-r",
                file.to_str().unwrap(),
                "-T",
                "fields",
                "-e",
                "frame.number",
            ],
        )
        .lines()
        .count();
        assert_eq!(frames as u64, count(&entry["frames"]), "{}", file.display());
        for (key, n) in tshark_port_counts(file) {
            *tshark_ports.entry(key).or_default() += n;
        }
    }
    let truth_ports: BTreeMap<(u8, u16), u64> = totals["per_dst_port"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let (proto, port) = k.split_once('/').unwrap();
            (
                (if proto == "tcp" { 6 } else { 17 }, port.parse().unwrap()),
                count(v),
            )
        })
        .collect();
    assert_eq!(tshark_ports, truth_ports);
    let tcp: u64 = truth_ports
        .iter()
        .filter(|((p, _), _)| *p == 6)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(tcp, count(&totals["per_protocol"]["tcp"]));

    // hirundo ingest: exact totals, per sensor and per port.
    let db = dir.path().join("db");
    hirundo_ok(
        &db,
        &[
            "ingest",
            "--sensor-from-dir",
            out.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    let stats = stats(&db);
    assert_eq!(stats["frames"], totals["frames"], "{stats}");
    assert_eq!(stats["packets"], totals["ip_packets"], "{stats}");
    assert_eq!(stats["malformed"], totals["malformed"], "{stats}");
    assert_eq!(stats["non_ip"], totals["non_ip"], "{stats}");
    assert_eq!(hirundo_port_counts(&db, None), truth_ports);
    for row in query(
        &db,
        "SELECT sensor, count(*) AS n FROM packets GROUP BY sensor",
    ) {
        let sensor = row["sensor"].as_str().unwrap();
        assert_eq!(
            row["n"], truth["per_sensor"][sensor]["ip_packets"],
            "{sensor}"
        );
    }

    // Sources geolocate as planted: `src_country` gives the truth's country counts.
    let per_country: BTreeMap<String, u64> = query(
        &db,
        "SELECT src_country, count(*) AS n FROM packets WHERE src_country IS NOT NULL GROUP BY 1",
    )
    .into_iter()
    .map(|row| {
        (
            row["src_country"].as_str().unwrap().to_owned(),
            row["n"].as_u64().unwrap(),
        )
    })
    .collect();
    let truth_countries: BTreeMap<String, u64> = totals["per_country"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), count(v)))
        .collect();
    assert_eq!(per_country, truth_countries);

    // Every SYN probe's tool is found; backscatter is recognised as such.
    let tools: BTreeMap<String, u64> = query(&db, "SELECT coalesce(tool, 'none') AS tool, count(*) AS n FROM packets WHERE traffic_kind = 'tcp_syn_probe' GROUP BY 1")
        .into_iter()
        .map(|row| (row["tool"].as_str().unwrap().to_owned(), row["n"].as_u64().unwrap()))
        .collect();
    let planted = &totals["per_tool"];
    let expected: BTreeMap<String, u64> = [
        ("mirai", count(&planted["mirai"])),
        ("zmap", count(&planted["zmap"])),
        ("masscan", count(&planted["masscan"])),
        (
            "none",
            count(&planted["linux"]) + count(&planted["windows"]),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(tools, expected);
    let backscatter = query(
        &db,
        "SELECT count(*) AS n FROM packets WHERE traffic_kind = 'backscatter'",
    );
    assert_eq!(backscatter[0]["n"], totals["backscatter"]);
    let telnet = query(
        &db,
        "SELECT count(*) AS n FROM packets WHERE service = 'telnet'",
    );
    assert_eq!(telnet[0]["n"], totals["per_dst_port"]["tcp/23"]);
}

#[test]
fn tool_fingerprints_are_in_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sim");
    let truth = simulate(&out, &[]);
    let (mut mirai, mut zmap, mut masscan) = (0, 0, 0);
    for file in capture_files(&truth, &out) {
        let fields = tool(
            "tshark",
            &[
                "-r",
                file.to_str().unwrap(),
                "-Y",
                "tcp.flags == 0x002",
                "-T",
                "fields",
                "-E",
                "separator=|",
                "-e",
                "ip.dst",
                "-e",
                "ip.id",
                "-e",
                "tcp.seq_raw",
                "-e",
                "tcp.dstport",
            ],
        );
        for line in fields.lines() {
            let f: Vec<&str> = line.split('|').collect();
            let dst = u32::from(f[0].parse::<Ipv4Addr>().unwrap());
            let id = u32::from_str_radix(f[1].trim_start_matches("0x"), 16).unwrap();
            let seq: u32 = f[2].parse().unwrap();
            let port: u32 = f[3].parse().unwrap();
            mirai += u64::from(seq == dst);
            zmap += u64::from(id == 54321);
            masscan += u64::from(id == (dst ^ port ^ seq) & 0xffff);
        }
    }
    let tools = &truth["totals"]["per_tool"];
    assert!(
        mirai > 1000 && zmap > 100 && masscan > 100,
        "{mirai} {zmap} {masscan}"
    );
    assert_eq!(
        mirai,
        count(&tools["mirai"]),
        "Mirai: seq == destination address"
    );
    assert_eq!(
        zmap,
        count(&tools["zmap"]),
        "ZMap: IP ID 54321 (its scanners and Censys)"
    );
    assert_eq!(
        masscan,
        count(&tools["masscan"]),
        "masscan: IP ID = dst ^ port ^ seq"
    );
}

#[test]
fn planted_events_show_in_the_truth_series() {
    let dir = tempfile::tempdir().unwrap();
    let truth = simulate(&dir.path().join("sim"), &[]);
    let series = |i: usize| -> Vec<u64> {
        truth["events"][i]["daily"]
            .as_object()
            .unwrap()
            .values()
            .map(count)
            .collect()
    };
    // Days: 03-27 28 29 30 31 04-01.
    let surge = series(0);
    let before = surge[..3].iter().sum::<u64>() as f64 / 3.0;
    let during = surge[3..].iter().sum::<u64>() as f64 / 3.0;
    assert!(
        during > 10.0 * before && before > 0.0,
        "tcp/8080 surge: {surge:?}"
    );
    let nl = series(1);
    assert!(
        nl[1] as f64 > 4.0 * (nl[0] + nl[2]) as f64 / 2.0,
        "NL spike: {nl:?}"
    );
    let ir = series(2);
    assert_eq!(&ir[4..], &[0, 0], "IR outage: {ir:?}");
    assert!(
        ir[..4].iter().all(|&n| n > 50),
        "IR before the outage: {ir:?}"
    );
    let victim = series(3);
    assert_eq!(
        victim.iter().sum::<u64>(),
        count(&truth["events"][3]["packets"])
    );
    assert!(
        victim[2] > 800 && victim.iter().enumerate().all(|(d, &n)| d == 2 || n == 0),
        "{victim:?}"
    );
    assert_eq!(truth["events"][4]["planted"]["victim"], "93.184.215.14");
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let truth_a = simulate(&a, &["--scale", "0.2"]);
    let truth_b = simulate(&b, &["--scale", "0.2"]);
    let truth_c = simulate(&c, &["--scale", "0.2", "--seed", "8"]);
    assert_eq!(truth_a, truth_b);
    for (fa, fb) in capture_files(&truth_a, &a)
        .iter()
        .zip(capture_files(&truth_b, &b))
    {
        assert_eq!(
            std::fs::read(fa).unwrap(),
            std::fs::read(fb).unwrap(),
            "{}",
            fa.display()
        );
    }
    assert_ne!(truth_a["totals"], truth_c["totals"]);
    assert_eq!(truth_c["seed"], 8);
}

#[test]
fn bad_scenarios_name_key_and_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario()).unwrap();
    let cases = [
        (
            "packets_per_day = 3000",
            "packets_per_dya = 3000",
            &["packets_per_dya", "line 10"][..],
        ),
        ("CN = 5", "XX = 5", &["`countries`", "XX", "line 35"][..]),
        (
            "end = \"2026-04-01\"",
            "end = \"2026-03-01\"",
            &["`end`", "line 7", "before start"][..],
        ),
        (
            "kind = \"outage\"",
            "kind = \"blackout\"",
            &["`events.kind`", "blackout", "line 89"][..],
        ),
        (
            "time_zone = \"Europe/Berlin\"",
            "time_zone = \"Mars/Olympus\"",
            &["`time_zone`", "line 5"][..],
        ),
    ];
    for (i, (from, to, wanted)) in cases.into_iter().enumerate() {
        assert!(text.contains(from), "{from}");
        let bad = dir.path().join(format!("bad-{i}.toml"));
        std::fs::write(&bad, text.replacen(from, to, 1)).unwrap();
        let out = dir.path().join(format!("out-{i}"));
        let result = hirundo(
            &dir.path().join("db"),
            &[
                "simulate",
                "--scenario",
                bad.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success(), "{to}");
        assert!(
            stderr.contains(bad.to_str().unwrap()),
            "names the file: {stderr}"
        );
        for w in wanted {
            assert!(stderr.contains(w), "`{w}` missing in: {stderr}");
        }
        assert!(!out.exists(), "nothing written for {to}");
    }
}

#[test]
fn the_printed_default_scenario_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let printed = hirundo_ok(
        &dir.path().join("db"),
        &["simulate", "--print-default-scenario"],
    );
    let file = dir.path().join("default.toml");
    std::fs::write(&file, printed).unwrap();
    let run = |scenario: &str, out: &str| {
        let out = dir.path().join(out);
        let args = [
            "simulate",
            "--scenario",
            scenario,
            "--out",
            out.to_str().unwrap(),
            "--scale",
            "0.002",
        ];
        hirundo_ok(&dir.path().join("db"), &args);
        std::fs::read(out.join("truth.json")).unwrap()
    };
    assert_eq!(
        run(file.to_str().unwrap(), "from-file"),
        run("default", "built-in")
    );
    let truth: Value = serde_json::from_slice(&run("default", "built-in")).unwrap();
    assert_eq!(
        (truth["start"].as_str(), truth["end"].as_str()),
        (Some("2026-04-01"), Some("2026-09-30"))
    );
    assert_eq!(
        truth["files"].as_array().unwrap().len(),
        2 * 183,
        "two quarters, two sensors"
    );
}

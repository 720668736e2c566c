//! `hirundo ingest`, `stats` and `query` as a user runs them: sensors, idempotency, bad files.

mod common;

use std::path::Path;

use common::*;

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(corpus(from), to).unwrap();
}

#[test]
fn sensors_from_directories_and_a_second_ingest_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("captures");
    copy("print-flags.pcap", &root.join("tokyo/a.pcap"));
    copy("whois.pcap", &root.join("tokyo/2019/b.pcap"));
    copy("mptcp-v1.pcap", &root.join("osaka/c.pcap"));
    let db = dir.path().join("db");
    let root_arg = root.to_str().unwrap();
    hirundo_ok(&db, &["ingest", "--sensor-from-dir", root_arg, root_arg]);
    let first = stats(&db);
    assert_eq!(first["files"], 3);
    assert_eq!(first["sensors"]["tokyo"]["files"], 2);
    assert_eq!(first["sensors"]["osaka"]["files"], 1);
    let tokyo_packets = first["sensors"]["tokyo"]["packets"].as_u64().unwrap();
    let rows = query(
        &db,
        "SELECT count(*) AS n FROM packets WHERE sensor = 'tokyo'",
    );
    assert_eq!(rows[0]["n"].as_u64(), Some(tokyo_packets));
    assert!(tokyo_packets > 0);

    let out = hirundo(&db, &["ingest", "--sensor-from-dir", root_arg, root_arg]);
    assert!(out.status.success());
    assert_eq!(
        stats(&db),
        first,
        "a second ingest of the same files must change nothing"
    );
    let summary = dir.path().join("again.json");
    hirundo_ok(
        &db,
        &[
            "ingest",
            "--sensor",
            "other",
            "--summary-json",
            summary.to_str().unwrap(),
            root_arg,
        ],
    );
    let reports: serde_json::Value =
        serde_json::from_slice(&std::fs::read(summary).unwrap()).unwrap();
    for report in reports.as_array().unwrap() {
        assert_eq!(report["status"], "already_ingested", "{report}");
    }
    assert_eq!(stats(&db), first);
}

#[test]
fn query_prints_table_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    hirundo_ok(
        &db,
        &["ingest", corpus("print-flags.pcap").to_str().unwrap()],
    );
    let sql = "SELECT dst_port, count(*) AS n FROM packets GROUP BY 1 ORDER BY 1";
    let csv = hirundo_ok(&db, &["query", "--format", "csv", sql]);
    assert_eq!(csv, "dst_port,n\n80,6\n55920,4\n");
    let table = hirundo_ok(&db, &["query", sql]);
    assert!(table.contains("| dst_port | n |"), "{table}");
    let json = query(&db, sql);
    assert_eq!(json.len(), 2);
    assert_eq!(json[0]["dst_port"], 80);
    let err = hirundo(&db, &["query", "SELECT nope FROM packets"]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("nope"));
}

/// What each kind of damage must produce: the file named, with offset and reason, the good
/// records kept, the other files ingested, and a non-zero exit.
#[test]
fn bad_files_are_named_and_the_rest_is_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let good = inputs.join("good.pcap");
    copy("whois.pcap", &good);
    std::fs::write(inputs.join("empty.pcap"), b"").unwrap();
    std::fs::write(
        inputs.join("magic.pcap"),
        b"this is not a capture file at all",
    )
    .unwrap();
    let whole = std::fs::read(corpus("print-flags.pcap")).unwrap();
    // Cut inside the 4th record: 24-byte header, then records of 16 + caplen bytes.
    std::fs::write(inputs.join("cut.pcap"), &whole[..whole.len() - 100]).unwrap();
    let ng = dir.path().join("full.pcapng");
    tool(
        "editcap",
        &[
            "-F",
            "pcapng",
            corpus("ntp.pcap").to_str().unwrap(),
            ng.to_str().unwrap(),
        ],
    );
    let ng_bytes = std::fs::read(&ng).unwrap();
    std::fs::write(inputs.join("cut.pcapng"), &ng_bytes[..ng_bytes.len() - 10]).unwrap();

    let db = dir.path().join("db");
    let summary = dir.path().join("summary.json");
    let out = hirundo(
        &db,
        &[
            "ingest",
            "--summary-json",
            summary.to_str().unwrap(),
            inputs.to_str().unwrap(),
        ],
    );
    assert!(
        !out.status.success(),
        "damaged inputs must give a non-zero exit"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("hirundo: "))
        .collect();
    assert_eq!(lines.len(), 4, "one line per bad file:\n{stderr}");
    for name in ["empty.pcap", "magic.pcap", "cut.pcap", "cut.pcapng"] {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("/{name}:")))
            .unwrap_or_else(|| panic!("{name} not named:\n{stderr}"));
        assert!(line.contains("offset"), "{line}");
    }
    let reports: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let status = |name: &str| {
        let r = reports
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .unwrap();
        (
            r["status"].as_str().unwrap().to_owned(),
            r["packets"].as_u64(),
        )
    };
    assert_eq!(status("good.pcap").0, "ingested");
    assert_eq!(status("empty.pcap").0, "failed");
    assert_eq!(status("magic.pcap").0, "failed");
    let cut_pcap = status("cut.pcap");
    assert_eq!(cut_pcap.0, "partial");
    let cut_ng = status("cut.pcapng");
    assert_eq!(cut_ng.0, "partial");
    // The complete records before the damage are stored: tshark reads the same prefix.
    let frames_before_cut = |file: &Path| {
        let out = std::process::Command::new("tshark")
            .args(["-r"])
            .arg(file)
            .args(["-T", "fields", "-e", "frame.number"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).lines().count() as u64
    };
    assert_eq!(
        cut_pcap.1,
        Some(frames_before_cut(&inputs.join("cut.pcap")))
    );
    assert_eq!(
        cut_ng.1,
        Some(frames_before_cut(&inputs.join("cut.pcapng")))
    );
    let s = stats(&db);
    assert_eq!(s["files"], 3);
    assert_eq!(s["partial_files"], 2);
    let total = status("good.pcap").1.unwrap() + cut_pcap.1.unwrap() + cut_ng.1.unwrap();
    assert_eq!(s["packets"].as_u64(), Some(total));
    let text = hirundo_ok(&db, &["stats"]);
    assert!(
        text.contains("partial: ") && text.contains("cut.pcapng"),
        "{text}"
    );
}

/// A file the user may not read: run hirundo as `nobody` (root reads everything).
#[test]
fn unreadable_file_is_reported_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.pcap");
    copy("whois.pcap", &secret);
    let good = dir.path().join("good.pcap");
    copy("ntp.pcap", &good);
    let db = dir.path().join("db");
    std::fs::create_dir_all(&db).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    for p in [dir.path(), db.as_path(), good.as_path()] {
        let mode = if p.is_dir() { 0o777 } else { 0o644 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    // A copy of the binary that `nobody` may run wherever the checkout lives (e.g. under /root).
    let binary = dir.path().join("hirundo");
    std::fs::copy(env!("CARGO_BIN_EXE_hirundo"), &binary).unwrap();
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&binary)
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .args([&secret, &good])
        .env("RUST_LOG", "warn")
        .output()
        .expect("setpriv (util-linux) is needed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = stderr
        .lines()
        .find(|l| l.contains("secret.pcap"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.to_lowercase().contains("permission denied"), "{line}");
    assert_eq!(stats(&db)["files"], 1, "the readable file is ingested");
}

/// `--no-enrich` leaves every label NULL; `--asn` with an ip-location-db style CSV labels
/// each source with the AS of the range holding it (ranges written here around the sources
/// the first ingest found), converts the CSV once into the cache, and `stats` names it.
#[test]
fn asn_labels_from_a_csv_and_no_enrichment() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("whois.pcap");
    copy("whois.pcap", &capture);
    let capture = capture.to_str().unwrap();
    let bare = dir.path().join("bare");
    hirundo_ok(&bare, &["ingest", "--no-enrich", capture]);
    let labelled = query(
        &bare,
        "SELECT count(*) AS n FROM packets WHERE src_country IS NOT NULL OR service IS NOT NULL \
         OR traffic_kind IS NOT NULL OR tool IS NOT NULL OR src_asn IS NOT NULL",
    );
    assert_eq!(labelled[0]["n"], 0);
    assert_eq!(
        stats(&bare)["geoip"]["none (ingested without enrichment)"],
        1
    );

    let sources: Vec<std::net::Ipv4Addr> = query(
        &bare,
        "SELECT DISTINCT src FROM packets WHERE ip_version = 4 ORDER BY src",
    )
    .iter()
    .map(|row| row["src"].as_str().unwrap().parse().unwrap())
    .collect();
    assert!(sources.len() >= 2, "whois.pcap has a client and a server");
    // Every other source gets an AS (a /32 range, the name with a comma, so quoted).
    let mut csv = String::new();
    let mut expected = std::collections::BTreeMap::new();
    for (i, src) in sources.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let number = 64_512 + i as u64;
        csv += &format!("{src},{src},{number},\"Org {i}, Ltd\"\n");
        expected.insert(src.to_string(), (number, format!("Org {i}, Ltd")));
    }
    let csv_path = dir.path().join("asn-ipv4.csv");
    std::fs::write(&csv_path, csv).unwrap();

    let db = dir.path().join("db");
    let cache = dir.path().join("cache");
    hirundo_ok_env(
        &db,
        &["ingest", "--asn", csv_path.to_str().unwrap(), capture],
        &[("XDG_CACHE_HOME", &cache)],
    );
    let converted = std::fs::read_dir(cache.join("hirundo")).unwrap().count();
    assert_eq!(converted, 1, "the CSV is converted once into the cache");
    let rows = query(
        &db,
        "SELECT src, src_asn, src_as_name, count(*) AS n FROM packets GROUP BY 1, 2, 3",
    );
    assert!(!rows.is_empty());
    for row in &rows {
        let src = row["src"].as_str().unwrap();
        // JSON output leaves NULL columns out of a row.
        let got = (
            row.get("src_asn").and_then(|v| v.as_u64()),
            row.get("src_as_name")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        );
        let want = match expected.get(src) {
            Some((number, name)) => (Some(*number), Some(name.clone())),
            None => (None, None),
        };
        assert_eq!(got, want, "{src}");
    }
    let asn_dbs = stats(&db)["asn"].clone();
    let described = asn_dbs.as_object().unwrap().keys().next().unwrap().clone();
    assert!(
        described.contains(&format!(
            "(ASN CSV, {} IPv4 and 0 IPv6 ranges)",
            expected.len()
        )),
        "{described}"
    );
}

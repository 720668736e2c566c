//! `hirundo serve` over the built-in scenario: every endpoint checked against SQL over the
//! `packets` table (which the API never reads: it reads the rollups) or against `hirundo
//! report`; bad parameters; the token; paths that try to leave the store; schemathesis
//! against `/openapi.json`; and the dashboard driven in Debian's headless chromium.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use common::{hirundo_ok, query};
use serde_json::{json, Value};

const SCALE: &str = "0.02";
const Q3: (&str, &str) = ("2026-07-01", "2026-09-30");
/// The 92 days before Q3: the API's previous range of the same length.
const BEFORE_Q3: (&str, &str) = ("2026-03-31", "2026-06-30");

fn db() -> &'static Path {
    static STORE: OnceLock<common::SimulatedStore> = OnceLock::new();
    &STORE
        .get_or_init(|| common::simulated_store("serve", SCALE))
        .db
}

/// A running `hirundo serve` on a free port, stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hirundo"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start hirundo serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        Server { child, base }
    }

    /// `GET path` (with a bearer token if given): status and body.
    fn get_with(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut curl = Command::new("curl");
        curl.args(["-s", "--path-as-is", "-w", "\n%{http_code}"]);
        if let Some(token) = token {
            curl.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        let out = curl.arg(format!("{}{path}", self.base)).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.parse().unwrap(), body.to_owned())
    }

    /// `GET path`, which must answer 200 with JSON.
    fn json(&self, path: &str) -> Value {
        let (status, body) = self.get_with(path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server of its own for each test: a static one would never be dropped, and would outlive
/// the test binary holding its output open.
fn server() -> Server {
    Server::start(db(), &[])
}

fn int(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a count: {v}"))
}

/// `[key, count]` rows of SQL whose result has columns `key` and `n`, most first, then key.
fn ranked(sql: &str) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = query(db(), sql)
        .iter()
        .map(|r| (r["key"].as_str().unwrap_or("??").to_owned(), int(&r["n"])))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

fn in_days((first, last): (&str, &str)) -> String {
    format!("ts >= TIMESTAMP '{first}T00:00:00Z' AND ts < TIMESTAMP '{last}T00:00:00Z' + INTERVAL '1 day'")
}

/// Packets per port key (`23/tcp`) over `days`, from the packets themselves.
fn port_counts(days: (&str, &str)) -> Vec<(String, u64)> {
    ranked(&format!(
        "SELECT concat(CAST(COALESCE(dst_port, icmp_type, 0) AS VARCHAR), '/', \
           CASE protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' \
           WHEN 58 THEN 'icmpv6' ELSE 'ip' END) AS key, COUNT(*) AS n \
         FROM packets WHERE {} GROUP BY 1",
        in_days(days)
    ))
}

fn country_counts(days: (&str, &str), filter: &str) -> Vec<(String, u64)> {
    ranked(&format!(
        "SELECT COALESCE(src_country, '??') AS key, COUNT(*) AS n FROM packets \
         WHERE {} AND {filter} GROUP BY 1",
        in_days(days)
    ))
}

fn rank_of(rows: &[(String, u64)], key: &str) -> Option<u64> {
    rows.iter()
        .position(|(k, _)| k == key)
        .map(|i| i as u64 + 1)
}

fn range(path: &str, (from, to): (&str, &str)) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}from={from}&to={to}")
}

#[test]
fn info_and_sensors_agree_with_the_packets() {
    let server = server();
    let info = server.json("/api/v1/info");
    let total = int(&query(db(), "SELECT COUNT(*) AS n FROM packets")[0]["n"]);
    assert_eq!(int(&info["packets"]), total);
    assert_eq!(info["first_day"], "2026-03-31");
    assert_eq!(info["last_day"], "2026-09-30");
    let per_sensor = ranked("SELECT sensor AS key, COUNT(*) AS n FROM packets GROUP BY 1");
    let sensors = server.json("/api/v1/sensors");
    let served: BTreeMap<String, u64> = sensors["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), int(&s["packets"])))
        .collect();
    assert_eq!(served, per_sensor.into_iter().collect());
    assert!(sensors["sensors"][0]["last_seen"]
        .as_str()
        .unwrap()
        .starts_with("2026-09-30"));
}

#[test]
fn rankings_agree_with_the_packets_with_previous_ranks() {
    let server = server();
    let (now, before) = (port_counts(Q3), port_counts(BEFORE_Q3));
    let top = server.json(&range("/api/v1/top?by=port&n=10", Q3));
    assert_eq!(top["previous_from"], BEFORE_Q3.0);
    assert_eq!(int(&top["total"]), now.iter().map(|r| r.1).sum::<u64>());
    let rows = top["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    for (i, row) in rows.iter().enumerate() {
        let key = row["key"].as_str().unwrap();
        assert_eq!(
            (key, int(&row["value"])),
            (now[i].0.as_str(), now[i].1),
            "row {i}"
        );
        let previous = row["previous_rank"].as_u64();
        assert_eq!(previous, rank_of(&before, key), "previous rank of {key}");
    }
    assert_eq!(rows[0]["label"], "23/tcp telnet");

    let countries = server.json(&range("/api/v1/top?by=country&n=5&lang=ja", Q3));
    let expected = country_counts(Q3, "TRUE");
    for (i, row) in countries["rows"].as_array().unwrap().iter().enumerate() {
        assert_eq!(row["key"].as_str().unwrap(), expected[i].0);
        assert_eq!(int(&row["value"]), expected[i].1);
    }
    let cn = countries["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "CN");
    assert_eq!(cn.expect("CN in the top 5")["label"], "中華人民共和国");

    // Filtered: the countries that sent to 5555/tcp, the surging port.
    let focus = server.json(&range("/api/v1/top?by=country&n=3&port=5555/tcp", Q3));
    let expected = country_counts(Q3, "protocol = 6 AND dst_port = 5555");
    let served: Vec<(String, u64)> = focus["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_owned(), int(&r["value"])))
        .collect();
    assert_eq!(served, expected[..3].to_vec());
}

#[test]
fn unique_sources_agree_with_the_packets() {
    let server = server();
    let sources = |filter: &str| {
        let sql = format!(
            "SELECT COUNT(DISTINCT src) AS n FROM packets WHERE {} AND {filter}",
            in_days(Q3)
        );
        int(&query(db(), &sql)[0]["n"])
    };
    let top = server.json(&range("/api/v1/top?by=country&metric=sources&n=3", Q3));
    assert_eq!(int(&top["total"]), sources("TRUE"));
    for row in top["rows"].as_array().unwrap() {
        let code = row["key"].as_str().unwrap();
        assert_eq!(
            int(&row["value"]),
            sources(&format!("src_country = '{code}'")),
            "{code}"
        );
    }
    let days = ("2026-09-01", "2026-09-07");
    let series = server.json(&range("/api/v1/series?by=total&metric=sources", days));
    let per_day = query(
        db(),
        &format!(
            "SELECT CAST(date_trunc('day', ts) AS DATE) AS day, COUNT(DISTINCT src) AS n \
             FROM packets WHERE {} GROUP BY 1 ORDER BY 1",
            in_days(days)
        ),
    );
    let expected: Vec<u64> = per_day.iter().map(|r| int(&r["n"])).collect();
    let served: Vec<u64> = series["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .collect();
    assert_eq!(served, expected);
}

#[test]
fn series_cut_local_days_hours_and_weeks() {
    let server = server();
    // Tokyo days start at 15:00 UTC the day before.
    let days = ("2026-08-01", "2026-08-14");
    let url = range(
        "/api/v1/series?by=port&keys=23/tcp,5555/tcp&tz=Asia/Tokyo",
        days,
    );
    let series = server.json(&url);
    assert_eq!(series["buckets"].as_array().unwrap().len(), 14);
    for (i, (proto, port)) in [(6, 23), (6, 5555)].into_iter().enumerate() {
        let per_day = query(
            db(),
            &format!(
                "SELECT CAST(date_trunc('day', ts + INTERVAL '9 hours') AS DATE) AS day, \
                   COUNT(*) AS n FROM packets \
                 WHERE ts >= TIMESTAMP '2026-07-31T15:00:00Z' AND ts < TIMESTAMP '2026-08-14T15:00:00Z' \
                   AND protocol = {proto} AND dst_port = {port} GROUP BY 1 ORDER BY 1"
            ),
        );
        let expected: Vec<u64> = per_day.iter().map(|r| int(&r["n"])).collect();
        let served: Vec<u64> = series["series"][i]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(int)
            .collect();
        assert_eq!(served, expected, "{port}/tcp per Tokyo day");
    }
    // Hours and weeks add up to the days they cover.
    let day_total = |url: &str| -> u64 {
        let s = server.json(url);
        s["series"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(int)
            .sum()
    };
    let one_day = ("2026-08-10", "2026-08-10");
    let hours = server.json(&range(
        "/api/v1/series?by=total&resolution=hour&tz=Asia/Tokyo",
        one_day,
    ));
    assert_eq!(hours["buckets"].as_array().unwrap().len(), 24);
    assert_eq!(hours["buckets"][0], "2026-08-10T00:00+09:00");
    let hours_sum: u64 = hours["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .sum();
    assert_eq!(
        hours_sum,
        day_total(&range("/api/v1/series?by=total&tz=Asia/Tokyo", one_day))
    );
    let weeks = ("2026-08-03", "2026-08-16"); // Monday to Sunday, two ISO weeks
    let weekly = server.json(&range("/api/v1/series?by=total&resolution=week", weeks));
    assert_eq!(weekly["buckets"], json!(["2026-08-03", "2026-08-10"]));
    let week_sum: u64 = weekly["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .sum();
    assert_eq!(
        week_sum,
        day_total(&range("/api/v1/series?by=total", weeks))
    );

    // Kolkata's midnights fall at :30 UTC: each rollup hour goes to the local day of its
    // start (documented in the report's method), so its days are summed from the rollup here.
    let kolkata = server.json(&range("/api/v1/series?by=total&tz=Asia/Kolkata", days));
    let served: Vec<u64> = kolkata["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(int)
        .collect();
    let per_day = query(
        db(),
        &format!(
            "SELECT CAST(date_trunc('day', hour + INTERVAL '330 minutes') AS DATE) AS day, \
               SUM(packets) AS n FROM traffic \
             WHERE hour >= TIMESTAMP '{}T00:00:00Z' - INTERVAL '330 minutes' \
               AND hour < TIMESTAMP '{}T00:00:00Z' + INTERVAL '1 day' - INTERVAL '330 minutes' \
             GROUP BY 1 ORDER BY 1",
            days.0, days.1
        ),
    );
    let expected: Vec<u64> = per_day.iter().map(|r| int(&r["n"])).collect();
    assert_eq!(served, expected, "packets per Kolkata day");
}

#[test]
fn analysis_endpoints_equal_the_report_command() {
    let server = server();
    let cli: Value = serde_json::from_str(&hirundo_ok(
        db(),
        &[
            "report",
            "--period",
            "2026Q3",
            "--tz",
            "Asia/Tokyo",
            "--home",
            "JP",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let served = server.json("/api/v1/report?period=2026Q3&tz=Asia/Tokyo&home=JP");
    assert_eq!(served, cli);
    assert!(
        !served["events"].as_array().unwrap().is_empty(),
        "the 5555/tcp surge"
    );

    let custom: Value = serde_json::from_str(&hirundo_ok(
        db(),
        &["report", "--from", Q3.0, "--to", Q3.1, "--format", "json"],
    ))
    .unwrap();
    let events = server.json(&range("/api/v1/events", Q3));
    assert_eq!(events["events"], custom["events"]);
    let victims = server.json(&range("/api/v1/victims", Q3));
    assert_eq!(victims["victims"], custom["backscatter"]);
    assert!(
        !custom["backscatter"].as_array().unwrap().is_empty(),
        "planted DoS victims"
    );
    let scanners = server.json(&range("/api/v1/scanners", Q3));
    assert_eq!(scanners["fingerprints"], custom["fingerprints"]);
    assert_eq!(scanners["scanners"], custom["scanners"]);
}

#[test]
fn honeypot_events_page_through_an_empty_table() {
    let server = server();
    let page = server.json(&range("/api/v1/honeypot?limit=10&offset=0", Q3));
    assert_eq!(
        page,
        json!({"total": 0, "offset": 0, "limit": 10, "events": []})
    );
}

#[test]
fn bad_parameters_are_refused_naming_the_value() {
    let server = server();
    let cases = [
        ("/api/v1/top?by=planet", 400, "by=\"planet\""),
        ("/api/v1/top?by=total", 400, "by=\"total\""),
        ("/api/v1/series?from=2026-02-30", 400, "from=\"2026-02-30\""),
        (
            "/api/v1/series?from=2026-09-01&to=2026-08-01",
            400,
            "after to=2026-08-01",
        ),
        ("/api/v1/series?tz=Mars/Olympus", 400, "tz=\"Mars/Olympus\""),
        (
            "/api/v1/series?tz=Asia/Kolkata&resolution=hour",
            400,
            "tz=\"Asia/Kolkata\"",
        ),
        (
            "/api/v1/series?resolution=minute",
            400,
            "resolution=\"minute\"",
        ),
        (
            "/api/v1/series?resolution=hour&from=2026-01-01&to=2026-09-30",
            400,
            "92 days",
        ),
        (
            "/api/v1/series?by=total&metric=sources&resolution=hour",
            400,
            "per UTC day",
        ),
        ("/api/v1/top?metric=sources&by=port", 400, "by=\"port\""),
        (
            "/api/v1/top?metric=sources&by=country&tool=mirai",
            400,
            "tool with metric=sources",
        ),
        ("/api/v1/top?port=23", 400, "port=\"23\""),
        ("/api/v1/top?port=23/sctp", 400, "port=\"23/sctp\""),
        ("/api/v1/top?country=Japan", 400, "country=\"Japan\""),
        (
            "/api/v1/top?tool=x%27%20OR%201=1--",
            400,
            "tool=\"x' OR 1=1--\"",
        ),
        ("/api/v1/top?n=0", 400, "n=\"0\""),
        ("/api/v1/top?n=lots", 400, "n=\"lots\""),
        ("/api/v1/top?lang=fr", 400, "lang=\"fr\""),
        ("/api/v1/report?period=2026Q5", 400, "period=\"2026Q5\""),
        ("/api/v1/report?period=0000Q1", 400, "1678 to 2261"),
        ("/api/v1/report?home=Japan", 400, "home=\"Japan\""),
        ("/api/v1/honeypot?limit=5000", 400, "limit=\"5000\""),
        ("/api/v1/honeypot?port=http", 400, "port=\"http\""),
        ("/api/v1/nothing", 404, "no such endpoint"),
    ];
    for (path, status, needle) in cases {
        let (got, body) = server.get_with(path, None);
        assert_eq!(got, status, "GET {path}: {body}");
        let error: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "GET {path}: {message:?} lacks {needle:?}"
        );
    }
    // A sensor name is text, quoted: a quote in it finds nothing rather than breaking SQL.
    let quoted = server.json("/api/v1/top?sensor=tokyo%27%20OR%20%271%27=%271");
    assert_eq!(quoted["rows"], json!([]));
}

#[test]
fn the_token_guards_the_api_but_not_the_page() {
    let guarded = Server::start(db(), &["--token", "s3cret"]);
    let (status, body) = guarded.get_with("/api/v1/info", None);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("unauthorized"));
    assert_eq!(guarded.get_with("/api/v1/info", Some("wrong")).0, 401);
    assert_eq!(guarded.get_with("/api/v1/info", Some("s3cret")).0, 200);
    assert_eq!(guarded.get_with("/", None).0, 200);
    assert_eq!(guarded.get_with("/openapi.json", None).0, 200);
}

#[test]
fn only_the_compiled_in_files_are_served() {
    let server = server();
    let (status, page) = server.get_with("/", None);
    assert_eq!(status, 200);
    assert!(page.contains("/assets/echarts.min.js"), "{page}");
    let (status, echarts) = server.get_with("/assets/echarts.min.js", None);
    assert_eq!(status, 200);
    assert!(echarts.len() > 500_000 && echarts.contains("echarts"));
    let store_file = format!("{}/_log/00000000000000000001.json", db().display());
    assert!(Path::new(&store_file).exists());
    for path in [
        "/assets/../../../../etc/passwd",
        "/assets/..%2f..%2f..%2fetc%2fpasswd",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/_log%2f00000000000000000001.json",
        "/_log/00000000000000000001.json",
        "/api/v1/../../_log/00000000000000000001.json",
        "/assets/",
    ] {
        let (status, body) = server.get_with(path, None);
        assert_eq!(
            status,
            404,
            "GET {path} answered {status}: {}",
            &body[..body.len().min(200)]
        );
        assert!(
            !body.contains("root:") && !body.contains("\"txn\""),
            "GET {path} leaked a file"
        );
    }
}

#[test]
fn schemathesis_finds_no_server_error() {
    let server = server();
    let spec = format!("{}/openapi.json", server.base);
    let out = Command::new("schemathesis")
        .args(["run", &spec, "--checks"])
        .arg("not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance")
        .args(["--max-examples", "25", "--seed", "20261203", "--request-timeout", "30"])
        .env("NO_COLOR", "1")
        // It keeps a cache of crashes in the working directory: not in the source tree.
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("schemathesis (scripts/requirements-test.txt) is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("9/9"), "every operation tested:\n{text}");
}

#[test]
fn the_dashboard_shows_the_stores_numbers_in_chromium() {
    let server = server();
    let (ports, countries) = (port_counts(Q3), country_counts(Q3, "TRUE"));
    let port_countries = country_counts(Q3, "protocol = 6 AND dst_port = 5555");
    let nl = country_counts(Q3, "src_country = 'NL'");
    let expect = json!({
        "from": Q3.0, "to": Q3.1, "tz": "UTC",
        "top_ports": &ports[..3],
        "top_countries": &countries[..3],
        "port": {"key": "5555/tcp", "total": port_countries.iter().map(|r| r.1).sum::<u64>(),
                 "top_country": port_countries[0].0},
        "country": {"key": "NL", "total": nl[0].1},
        "sensors": ["osaka-1", "tokyo-1"],
        "report": {"period": "2026Q3", "packets": ports.iter().map(|r| r.1).sum::<u64>()},
    });
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let expect_file = dir.join("expect.json");
    std::fs::write(&expect_file, expect.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/dashboard.mjs");
    let out = Command::new("node")
        .arg(script)
        .arg(format!("{}/", server.base))
        .arg(&expect_file)
        .arg(&dir)
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    for list in [
        "failures",
        "console_errors",
        "page_errors",
        "failed_requests",
    ] {
        assert_eq!(found[list], json!([]), "{list}: {text}");
    }
    assert_eq!(found["screenshots"].as_array().unwrap().len(), 6, "{text}");
}

//! Research-scanner attribution end to end: `hirundo scanners probe` against real web servers
//! (HTTP and HTTPS with a self-signed certificate) and a real DNS server (dnsmasq serving PTR
//! records) in a network namespace of the test's own; `--append` feeding `hirundo query
//! --scanners`; and `research_scanner(src)` over simulated captures matching the simulator's
//! truth, re-attributed by a new list without re-ingesting.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{hirundo, hirundo_env, hirundo_ok, query, stats};
use serde_json::Value;

const DNS: &str = "192.0.2.53";
/// Serves a Japanese research-scanner page over HTTP (after a same-host redirect) and HTTPS.
const SCANNER: &str = "192.0.2.10";
/// Serves an English research-scanner page over HTTP, on IPv6.
const SCANNER_V6: &str = "2001:db8::10";
/// Serves an ordinary shop page; its HTTPS side redirects off the host.
const ORDINARY: &str = "192.0.2.20";
/// Has the address, but nothing listens and it has no PTR record.
const SILENT: &str = "192.0.2.30";

const JAPANESE_PAGE: &str = "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
    <title>Example Lab インターネット観測プロジェクト</title></head><body>\
    <h1>このホストからの通信について</h1>\
    <p>本ホストは大学の研究のため、インターネット全体に対するポートスキャンを行っています。</p>\
    <p>スキャン対象からの除外（オプトアウト）を希望される方はご連絡ください。</p></body></html>";

const ENGLISH_PAGE: &str = "<html><head><title>Example Measurement Project</title></head><body>\
    <h1>Why am I receiving connection attempts from this machine?</h1>\
    <p>This host is part of an Internet-wide research study. To opt out of our scans, \
    email us your network.</p></body></html>";

const SHOP_PAGE: &str =
    "<html><head><title>Example Shop</title></head><body><p>Fresh bread every day.</p></body></html>";

/// One process serving every (address, port, TLS) site of the test: routes are path → (status,
/// headers, body). It prints `ready` once every socket listens and stops when stdin closes.
const SERVER_PY: &str = r#"
import http.server, json, socket, ssl, sys, threading
config = json.load(open(sys.argv[1]))
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        status, headers, body = route
        body = body.encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(http.server.ThreadingHTTPServer):
    def __init__(self, site):
        self.address_family = socket.AF_INET6 if ":" in site["address"] else socket.AF_INET
        super().__init__((site["address"], site["port"]), Handler)
        self.routes = site["routes"]
        if site.get("tls"):
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(config["cert"], config["key"])
            self.socket = context.wrap_socket(self.socket, server_side=True)
for site in config["sites"]:
    threading.Thread(target=Server(site).serve_forever, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"#;

/// A network namespace named after the test process, deleted on drop.
struct Namespace {
    name: String,
}

impl Namespace {
    /// Err(reason) when this machine cannot give the test one (not root, no `ip netns`).
    fn create() -> Result<Namespace, String> {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let root = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"));
        if !root {
            return Err("not root: network namespaces need CAP_SYS_ADMIN".into());
        }
        let name = format!("hirundo-scanners-{}", std::process::id());
        let out = Command::new("ip").args(["netns", "add", &name]).output();
        match out {
            Err(e) => Err(format!("no `ip` command: {e}")),
            Ok(o) if !o.status.success() => Err(format!(
                "`ip netns add` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Ok(_) => Ok(Namespace { name }),
        }
    }

    /// A command that runs `program` inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    fn ip(&self, args: &[&str]) {
        let out = Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Whether a UDP socket listens on `port` inside the namespace (/proc/net is per namespace).
    fn udp_listening(&self, port: u16) -> bool {
        let out = self
            .command("cat")
            .args(["/proc/net/udp"])
            .output()
            .unwrap();
        let wanted = format!(":{port:04X} ");
        String::from_utf8_lossy(&out.stdout).lines().any(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|local| format!("{local} ").ends_with(&wanted))
        })
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A child process killed and reaped on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn self_signed_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    common::tool(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=scanner.example",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    (cert, key)
}

fn route(status: u16, headers: Value, body: &str) -> Value {
    serde_json::json!([status, headers, body])
}

fn sites(dir: &Path) -> Value {
    let (cert, key) = self_signed_certificate(dir);
    let page = |body: &str| serde_json::json!({ "/": route(200, serde_json::json!({}), body) });
    serde_json::json!({
        "cert": cert, "key": key,
        "sites": [
            { "address": SCANNER, "port": 80, "routes": {
                "/": route(302, serde_json::json!({"Location": "/about-scanning.html"}), ""),
                "/about-scanning.html": route(200, serde_json::json!({}), JAPANESE_PAGE) } },
            { "address": SCANNER, "port": 443, "tls": true, "routes": page(JAPANESE_PAGE) },
            { "address": SCANNER_V6, "port": 80, "routes": page(ENGLISH_PAGE) },
            { "address": ORDINARY, "port": 80, "routes": page(SHOP_PAGE) },
            { "address": ORDINARY, "port": 443, "tls": true, "routes": {
                "/": route(301, serde_json::json!({"Location": "https://www.example.com/"}), "") } },
        ]
    })
}

fn start_web_servers(ns: &Namespace, dir: &Path) -> Daemon {
    let script = dir.join("server.py");
    let config = dir.join("sites.json");
    std::fs::write(&script, SERVER_PY).unwrap();
    std::fs::write(&config, sites(dir).to_string()).unwrap();
    let mut child = ns
        .command("python3")
        .args([script.to_str().unwrap(), config.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed by this test");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let daemon = Daemon(child);
    assert_eq!(line.trim(), "ready", "web servers did not start");
    daemon
}

fn start_dns(ns: &Namespace) -> Daemon {
    let ptr = |addr: &str, name: &str| {
        let owner = hirundo_scanners::dns::reverse_name(addr.parse().unwrap());
        format!("--ptr-record={owner},{name}")
    };
    let child = ns
        .command("dnsmasq")
        .args([
            "--no-daemon",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            &format!("--listen-address={DNS}"),
            "--port=53",
            "--pid-file=",
        ])
        .arg(ptr(SCANNER, "scan-01.survey.example-lab.ac.jp"))
        .arg(ptr(SCANNER_V6, "measurement-01.example-project.net"))
        .arg(ptr(ORDINARY, "www.example-shop.test"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq is needed by this test (apt-get install dnsmasq-base)");
    let daemon = Daemon(child);
    let started = Instant::now();
    while !ns.udp_listening(53) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "dnsmasq did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon
}

/// `hirundo scanners probe` inside the namespace against the test's DNS server.
fn probe(ns: &Namespace, db: &Path, args: &[&str]) -> Output {
    ns.command(env!("CARGO_BIN_EXE_hirundo"))
        .arg("--db")
        .arg(db)
        .args([
            "scanners",
            "probe",
            "--dns",
            &format!("{DNS}:53"),
            "--timeout",
            "3",
        ])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn report_for<'a>(reports: &'a Value, address: &str) -> &'a Value {
    reports
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("no report for {address}: {reports}"))
}

fn evidence(report: &Value) -> String {
    report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn probe_finds_research_scanner_pages_in_a_namespace() {
    let ns = match Namespace::create() {
        Ok(ns) => ns,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    ns.ip(&["link", "set", "lo", "up"]);
    for addr in [DNS, SCANNER, ORDINARY, SILENT] {
        ns.ip(&["addr", "add", &format!("{addr}/32"), "dev", "lo"]);
    }
    ns.ip(&[
        "-6",
        "addr",
        "add",
        &format!("{SCANNER_V6}/128"),
        "dev",
        "lo",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let _dns = start_dns(&ns);
    let _web = start_web_servers(&ns, dir.path());
    let db = dir.path().join("db");

    let started = Instant::now();
    let out = probe(
        &ns,
        &db,
        &["--format", "json", SCANNER, SCANNER_V6, ORDINARY, SILENT],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "probes run at once"
    );
    let reports: Value = serde_json::from_str(&stdout).unwrap();

    let scanner = report_for(&reports, SCANNER);
    let text = evidence(scanner);
    assert_eq!(scanner["verdict"], "confirmed", "{text}");
    assert_eq!(
        scanner["organisation"],
        "Example Lab インターネット観測プロジェクト"
    );
    assert_eq!(scanner["ptr"][0], "scan-01.survey.example-lab.ac.jp");
    for wanted in [
        "PTR scan-01.survey.example-lab.ac.jp contains \"scan\"",
        "http://192.0.2.10/ answered 200 at http://192.0.2.10/about-scanning.html",
        "https://192.0.2.10/ answered 200 (certificate not verified)",
        "scanning \"スキャン\" (ja)",
        "research \"研究\" (ja/zh)",
        "opt-out \"オプトアウト\" (ja)",
    ] {
        assert!(text.contains(wanted), "`{wanted}` in\n{text}");
    }

    let v6 = report_for(&reports, SCANNER_V6);
    assert_eq!(v6["verdict"], "confirmed", "{}", evidence(v6));
    assert_eq!(v6["organisation"], "Example Measurement Project");
    assert!(
        evidence(v6).contains("PTR measurement-01.example-project.net contains \"measurement\"")
    );

    let ordinary = report_for(&reports, ORDINARY);
    let text = evidence(ordinary);
    assert_eq!(ordinary["verdict"], "no_evidence", "{text}");
    assert!(
        text.contains("redirect to https://www.example.com/ not followed (leaves the host)"),
        "{text}"
    );
    assert!(text.contains("title \"Example Shop\""), "{text}");

    let silent = report_for(&reports, SILENT);
    assert_eq!(silent["verdict"], "unreachable", "{}", evidence(silent));
    assert!(evidence(silent).contains("connection refused"));

    // Only unreachable addresses: nothing answered at all, the exit status says so.
    let out = probe(&ns, &db, &[SILENT]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("192.0.2.30: unreachable"));

    // --append adds exactly the confirmed address, once however often it is probed.
    let mine = dir.path().join("mine.csv");
    for _ in 0..2 {
        let out = probe(
            &ns,
            &db,
            &[
                "--append",
                mine.to_str().unwrap(),
                SCANNER,
                ORDINARY,
                SILENT,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let csv = std::fs::read_to_string(&mine).unwrap();
    let rows: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        rows,
        [
            "cidr,name,url",
            "192.0.2.10/32,Example Lab インターネット観測プロジェクト,http://192.0.2.10/about-scanning.html"
        ],
        "{csv}"
    );

    // The list attributes at query time: the appended row names the address.
    let sql =
        "SELECT research_scanner('192.0.2.10') AS org, research_scanner('192.0.2.20') AS other, \
               research_scanner('162.142.125.7') AS censys";
    let rows = query_with_list(&db, &mine, sql);
    assert_eq!(rows[0]["org"], "Example Lab インターネット観測プロジェクト");
    assert!(rows[0].get("other").is_none_or(Value::is_null));
    assert!(
        rows[0].get("censys").is_none_or(Value::is_null),
        "the user's list replaces the built-in one"
    );
}

fn query_with_list(db: &Path, list: &Path, sql: &str) -> Vec<serde_json::Map<String, Value>> {
    let out = hirundo_ok(
        db,
        &[
            "query",
            "--format",
            "json",
            "--scanners",
            list.to_str().unwrap(),
            sql,
        ],
    );
    if out.trim().is_empty() {
        return Vec::new();
    }
    serde_json::from_str(&out).unwrap()
}

fn research_scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/research-scenario.toml")
}

/// org → packets, for the rows of `SELECT org, n` with a non-null org.
fn counts(rows: Vec<serde_json::Map<String, Value>>) -> BTreeMap<String, u64> {
    rows.into_iter()
        .filter_map(|r| Some((r.get("org")?.as_str()?.to_owned(), r["n"].as_u64().unwrap())))
        .collect()
}

const BY_SCANNER: &str =
    "SELECT research_scanner(src) AS org, count(*) AS n FROM packets GROUP BY 1";

#[test]
fn research_scanner_attributes_simulated_history_and_follows_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let (out, db) = (dir.path().join("sim"), dir.path().join("db"));
    let (scenario, sim) = (research_scenario(), out.to_str().unwrap());
    hirundo_ok(
        &db,
        &[
            "simulate",
            "--scenario",
            scenario.to_str().unwrap(),
            "--out",
            sim,
        ],
    );
    let truth: Value =
        serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    hirundo_ok(&db, &["ingest", "--sensor-from-dir", sim, sim]);

    // The built-in list attributes exactly the simulator's research populations.
    let planted: BTreeMap<String, u64> = truth["populations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["research"] == true)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["packets"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(planted.len(), 2, "{planted:?}");
    assert!(planted.values().all(|&n| n > 100), "{planted:?}");
    assert_eq!(counts(query(&db, BY_SCANNER)), planted);

    // A new list re-attributes the same stored history: one Censys network renamed, the rest
    // of Censys unlisted, Shadowserver under another name.
    let list = dir.path().join("renamed.csv");
    std::fs::write(
        &list,
        "# test list\ncidr,name\n162.142.125.0/24,Censys Chicago\n184.105.139.64/26,SSF\n\
         184.105.247.192/26,SSF\n74.82.47.0/26,SSF\n",
    )
    .unwrap();
    let files_before = stats(&db)["files"].clone();
    let renamed = counts(query_with_list(&db, &list, BY_SCANNER));
    let chicago = query(
        &db,
        "SELECT count(*) AS n FROM packets WHERE src LIKE '162.142.125.%'",
    );
    assert_eq!(
        renamed,
        BTreeMap::from([
            (
                "Censys Chicago".to_owned(),
                chicago[0]["n"].as_u64().unwrap()
            ),
            ("SSF".to_owned(), planted["Shadowserver"]),
        ])
    );
    assert!(renamed["Censys Chicago"] > 0 && renamed["Censys Chicago"] < planted["Censys"]);
    assert_eq!(
        stats(&db)["files"],
        files_before,
        "nothing was ingested again"
    );

    // HIRUNDO_SCANNERS chooses the list too, and `scanners` lists it.
    let out = hirundo_env(
        &db,
        &[
            "query",
            "--format",
            "csv",
            "SELECT count(*) AS n, min(name) AS first FROM scanners",
        ],
        &[("HIRUNDO_SCANNERS", &list)],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "n,first\n4,Censys Chicago\n"
    );

    // A bad list is refused with its file and line.
    std::fs::write(&list, "cidr,name\n162.142.125.0/24,A\n162.142.125.0/33,B\n").unwrap();
    let out = hirundo(
        &db,
        &["query", "--scanners", list.to_str().unwrap(), "SELECT 1"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("renamed.csv, line 3") && stderr.contains("162.142.125.0/33"),
        "{stderr}"
    );
}

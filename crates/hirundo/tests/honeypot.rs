//! `hirundo honeypot` end to end, in a network namespace that the test creates: real clients
//! (FreeTDS tsql over TLS, python-tds in clear, Debian's telnet driven by expect) log in to
//! the honeypot, tcpdump records their SYNs as a darknet sensor would, and the store then
//! holds exactly those logins, labelled with the country of the source address, joinable with
//! the darknet packets, and summarised in the report. The honeypot binds its privileged ports
//! as root and then runs as `nobody`.
//!
//! The namespace's loopback interface also has 133.5.0.1/32, an address the embedded
//! geolocation database places in Japan; clients connect to it from it, so every source is
//! 133.5.0.1 and nothing leaves the namespace.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::network::Proc;
use common::{hirundo_ok, query};

const ADDR: &str = "133.5.0.1";
const SA_PASSWORD: &str = "Пароль密码🔑";

/// A network namespace with ADDR on its loopback interface; deleted on drop.
struct Netns(String);

impl Netns {
    fn new() -> Netns {
        let ns = Netns(format!("hirundo-hp-{}", std::process::id()));
        for args in [
            format!("netns add {}", ns.0),
            format!("-n {} link set lo up", ns.0),
            format!("-n {} addr add {ADDR}/32 dev lo", ns.0),
        ] {
            let status = Command::new("ip")
                .args(args.split_whitespace())
                .status()
                .unwrap();
            assert!(status.success(), "ip {args}");
        }
        ns
    }

    /// `program ARGS` run inside the namespace, with a time limit; returns stdout+stderr.
    fn run(&self, program: &str, args: &[&str], env: &[(&str, &Path)]) -> (bool, String) {
        let out = Command::new("timeout")
            .args(["20", "ip", "netns", "exec", &self.0, program])
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// tsql asks for TLS (`encryption = require`) and sends a Cyrillic, CJK and emoji password.
fn tsql_login(ns: &Netns, dir: &Path) -> String {
    let conf = dir.join("freetds.conf");
    std::fs::write(
        &conf,
        "[global]\n\ttds version = 7.4\n\tencryption = require\n",
    )
    .unwrap();
    let (_, out) = ns.run(
        "tsql",
        &["-H", ADDR, "-p", "1433", "-U", "sa", "-P", SA_PASSWORD],
        &[("FREETDSCONF", &conf)],
    );
    out
}

fn pytds_login(ns: &Netns) -> String {
    let script = format!(
        "import pytds\n\
         try:\n    pytds.connect('{ADDR}', port=1433, user='admin', password='hunter2', \
         login_timeout=5)\n\
         except Exception as e:\n    print(repr(e))\n"
    );
    ns.run("python3", &["-c", &script], &[]).1
}

/// Logs in as root/xc3511 (Mirai's list) and types one BusyBox probe.
fn telnet_session(ns: &Netns) -> (bool, String) {
    let script = format!(
        "set timeout 10\n\
         spawn telnet {ADDR} 23\n\
         expect \"login: \" {{ send \"root\\r\" }} timeout {{ exit 2 }}\n\
         expect \"Password: \" {{ send \"xc3511\\r\" }} timeout {{ exit 3 }}\n\
         expect \"# \" {{ send \"/bin/busybox ECCHI\\r\" }} timeout {{ exit 4 }}\n\
         expect \"ECCHI: applet not found\" {{ send \"exit\\r\" }} timeout {{ exit 5 }}\n\
         expect eof\n"
    );
    ns.run("expect", &["-c", &script], &[])
}

#[test]
fn real_clients_logins_are_stored_enriched_and_reported_beside_the_darknet() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let ns = Netns::new();
    let capture = dir.path().join("darknet.pcap");
    // The darknet sensor's view of the same sources: their SYNs. Immediate mode hands each
    // packet over as it comes (otherwise it waits in the kernel's ring for its block to fill
    // or time out, and SIGTERM after a quick run found "6 received by filter, 0 captured"),
    // and -U writes it at once.
    let tcpdump_log = dir.path().join("tcpdump.log");
    let mut tcpdump = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            "tcpdump",
            "-i",
            "lo",
            "--immediate-mode",
            "-U",
            "-w",
        ])
        .arg(&capture)
        .arg("tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&tcpdump_log).unwrap())
        .spawn()
        .unwrap();
    wait_for_file_text(&tcpdump_log, "listening on lo");
    // Ports 1433 and 23 are bound as root, then the honeypot becomes `nobody`, which must own
    // the store it writes (the operator creates it first).
    hirundo_ok(&db, &["stats"]);
    common::tool("chown", &["-R", "nobody", db.to_str().unwrap()]);
    let args: Vec<String> = [
        "honeypot",
        "--user",
        "nobody",
        "--mssql",
        &format!("{ADDR}:1433"),
        "--telnet",
        &format!("{ADDR}:23"),
        "--name",
        "hp-test",
        "--flush-ms",
        "100",
    ]
    .map(String::from)
    .to_vec();
    let mut honeypot = Proc::start("honeypot", Some(&ns.0), dir.path(), &db, &args);
    honeypot.wait_for_log("honeypot listening", 2, Duration::from_secs(20));
    assert_eq!(
        uid_of(honeypot.child.id()),
        uid_of_user("nobody"),
        "privileges dropped"
    );

    let tsql = tsql_login(&ns, dir.path());
    assert!(
        tsql.contains("Login failed for user 'sa'"),
        "tsql said:\n{tsql}"
    );
    let pytds = pytds_login(&ns);
    assert!(
        pytds.contains("Login failed for user 'admin'"),
        "pytds said:\n{pytds}"
    );
    let (telnet_ok, telnet) = telnet_session(&ns);
    assert!(telnet_ok, "telnet session:\n{telnet}");

    honeypot.signal("TERM");
    assert!(honeypot.wait_exit(Duration::from_secs(10)).success());
    let _ = Command::new("kill")
        .args(["-TERM", &tcpdump.id().to_string()])
        .status();
    let _ = tcpdump.wait();
    let log = honeypot.output();

    let rows = query(
        &db,
        "SELECT honeypot, src, protocol, dst_port, kind, username, password, client_library, \
         protocol_version, encrypted, text, src_country FROM honeypot ORDER BY ts",
    );
    let cell = |row: &serde_json::Map<String, serde_json::Value>, key: &str| {
        row.get(key)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(v.to_string()))
            })
            .unwrap_or_default()
    };
    let logins: Vec<(String, String, String, String)> = rows
        .iter()
        .filter(|r| cell(r, "kind") == "login")
        .map(|r| {
            (
                cell(r, "protocol"),
                cell(r, "username"),
                cell(r, "password"),
                cell(r, "encrypted"),
            )
        })
        .collect();
    let expected = [
        ("mssql", "sa", SA_PASSWORD, "true"),
        ("mssql", "admin", "hunter2", "false"),
        ("telnet", "root", "xc3511", "false"),
    ]
    .map(|(p, u, w, e)| (p.to_owned(), u.to_owned(), w.to_owned(), e.to_owned()));
    assert_eq!(logins, expected, "rows: {rows:#?}\nlog:\n{log}");
    let connects = rows.iter().filter(|r| cell(r, "kind") == "connect").count();
    assert_eq!(connects, 3, "one connect event per client connection");
    let commands: Vec<String> = rows
        .iter()
        .filter(|r| cell(r, "kind") == "command")
        .map(|r| cell(r, "text"))
        .collect();
    assert_eq!(commands, ["/bin/busybox ECCHI", "exit"]);
    for row in &rows {
        assert_eq!(cell(row, "honeypot"), "hp-test");
        assert_eq!(cell(row, "src"), ADDR);
        assert_eq!(cell(row, "src_country"), "JP", "enriched like packets");
    }
    let libraries: Vec<String> = rows
        .iter()
        .filter(|r| cell(r, "kind") == "login" && cell(r, "protocol") == "mssql")
        .map(|r| {
            format!(
                "{} {}",
                cell(r, "client_library"),
                cell(r, "protocol_version")
            )
        })
        .collect();
    assert_eq!(libraries, ["TDS-Library 7.4", "Python TDS Library 7.4"]);

    // The darknet saw the same source: ingest the sensor's capture and join.
    hirundo_ok(
        &db,
        &["ingest", "--sensor", "dark-1", capture.to_str().unwrap()],
    );
    let joined = query(
        &db,
        "SELECT h.protocol, count(DISTINCT p.dst_port) AS ports FROM honeypot h \
         JOIN packets p ON h.src = p.src WHERE h.kind = 'login' GROUP BY 1 ORDER BY 1",
    );
    let darknet = query(
        &db,
        "SELECT src, dst_port, count(*) AS n FROM packets GROUP BY 1, 2",
    );
    assert_eq!(
        joined.len(),
        2,
        "{joined:?} darknet: {darknet:?}; tcpdump: {}; capture: {}",
        std::fs::read_to_string(&tcpdump_log).unwrap_or_default(),
        common::tool("tcpdump", &["-nn", "-r", capture.to_str().unwrap()]),
    );
    let stats = common::stats(&db);
    assert_eq!(stats["honeypot_events"], rows.len() as u64);

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let report: serde_json::Value = serde_json::from_str(&hirundo_ok(
        &db,
        &["report", "--period", &month, "--format", "json"],
    ))
    .unwrap();
    let h = &report["honeypot"];
    assert_eq!(h["logins"], 3, "{h:#}");
    assert_eq!(h["connections"], 3);
    assert_eq!(h["commands"], 2);
    assert_eq!(h["sources"], 1);
    assert_eq!(h["sources_in_darknet"], 1);
    assert_eq!(h["by_country"][0]["country"], "JP");
    assert_eq!(h["by_country"][0]["logins"], 3);
    assert_eq!(h["by_port"][0]["port"], 1433);
    assert_eq!(h["by_port"][0]["logins"], 2);
    let users: Vec<&str> = h["top_usernames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["admin", "root", "sa"]);
}

/// Waits (at most 10 s) until `path` contains `text`.
fn wait_for_file_text(path: &Path, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(text)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no {text:?} in {path:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The real uid of process `pid`.
fn uid_of(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().to_owned()
}

fn uid_of_user(user: &str) -> String {
    common::tool("id", &["-u", user]).trim().to_owned()
}

#[test]
fn bad_configuration_is_refused_with_the_value_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = common::hirundo(&db, &["honeypot", "--name", "x"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing to serve"), "{err}");
    let out = common::hirundo(
        &db,
        &[
            "honeypot",
            "--telnet",
            "127.0.0.1:0",
            "--passwords",
            "rot13",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rot13") && err.contains("keep, hash or omit"),
        "{err}"
    );
    let toml = dir.path().join("honeypot.toml");
    std::fs::write(&toml, "telnet = \"127.0.0.1:0\"\nmsql = \"127.0.0.1:0\"\n").unwrap();
    let out = common::hirundo(&db, &["honeypot", "--config", toml.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("msql"), "an unknown key is named: {err}");
}

//! Real MSSQL clients, written by others, log in to the honeypot: FreeTDS's `tsql` (Debian
//! freetds-bin), pytds (PyPI python-tds, with pyOpenSSL for TLS) and pymssql (PyPI, which
//! bundles its own FreeTDS). Each one tries every encryption mode it has; the findings must
//! hold exactly the credentials it was given and what it says about itself, and the client
//! must have seen error 18456.
//!
//! Every client runs under `timeout`, against a server on 127.0.0.1 that stops with the
//! test. A missing client fails its test (scripts/install-deps.sh installs them all).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::TestServer;
use hirundo_honeypot::tds::wire::{Encryption, Packet, Prelogin, PreloginRepr};
use hirundo_honeypot::{EventKind, Finding};

/// Wall-clock bound of one client run.
const CLIENT_TIMEOUT: &str = "30";

/// A password no single legacy code page holds, with a character outside the BMP (a
/// surrogate pair in UTF-16).
const WORLD_PASSWORD: &str = "Пароль密码🔑";

/// pytds counts Python code points where LOGIN7 wants UTF-16 units, so a non-BMP password
/// shifts every later field; it gets Cyrillic and CJK only.
const BMP_PASSWORD: &str = "Пароль密码";

/// What a test expects from one login.
struct Expect<'a> {
    user: &'a str,
    password: &'a str,
    app: &'a str,
    library: &'a str,
    library_version: &'a str,
    /// The ENCRYPTION the client asked for in PRELOGIN.
    asked: Encryption,
    encrypted: bool,
}

/// Runs a client under `timeout`, returning its stdout and stderr together.
fn run(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("run client");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tsql(dir: &Path, port: u16, encryption: &str, user: &str, password: &str) -> String {
    let conf = dir.join(format!("freetds-{encryption}.conf"));
    let text = format!(
        "[global]\n\tclient charset = UTF-8\n[honeypot]\n\thost = 127.0.0.1\n\tport = {port}\n\
         \ttds version = 7.4\n\tencryption = {encryption}\n"
    );
    std::fs::write(&conf, text).unwrap();
    run(Command::new("timeout")
        .args([
            CLIENT_TIMEOUT,
            "tsql",
            "-S",
            "honeypot",
            "-U",
            user,
            "-P",
            password,
        ])
        .env("FREETDSCONF", &conf)
        .env("LANG", "C.UTF-8"))
}

const PYTDS: &str = r#"
import sys, pytds
port, user, password, mode, cafile = sys.argv[1:6]
tls = {} if mode == "none" else {
    "cafile": cafile, "validate_host": False, "enc_login_only": mode == "login"}
try:
    pytds.connect(server="127.0.0.1", port=int(port), user=user, password=password,
                  login_timeout=10, **tls)
    print("logged in")
except pytds.tds_base.Error as e:
    print("error", getattr(e, "msg_no", None), e)
"#;

fn pytds(port: u16, user: &str, password: &str, mode: &str, cafile: &Path) -> String {
    run(Command::new("timeout")
        .args([
            CLIENT_TIMEOUT,
            "python3",
            "-c",
            PYTDS,
            &port.to_string(),
            user,
            password,
            mode,
        ])
        .arg(cafile))
}

const PYMSSQL: &str = r#"
import sys, pymssql
port, user, password, encryption = sys.argv[1:5]
kw = {} if encryption == "default" else {"encryption": encryption}
print("version", pymssql.__version__)
try:
    pymssql.connect(server="127.0.0.1", port=port, user=user, password=password,
                    login_timeout=10, tds_version="7.4", **kw)
    print("logged in")
except pymssql.OperationalError as e:
    print("error", e.args[0][0], e.args[0][1].decode(errors="replace"))
"#;

fn pymssql(port: u16, user: &str, password: &str, encryption: &str) -> String {
    run(Command::new("timeout")
        .args([
            CLIENT_TIMEOUT,
            "python3",
            "-c",
            PYMSSQL,
            &port.to_string(),
            user,
            password,
        ])
        .arg(encryption))
}

/// A TLS configuration in a temporary state directory, and its certificate file (the CA
/// file of clients that verify).
fn tls() -> (tempfile::TempDir, Arc<rustls::ServerConfig>, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tds");
    let config = hirundo_honeypot::tds::server_config(&state).unwrap();
    (dir, config, state.join("cert.pem"))
}

/// Starts a server, runs `client` against its port, and returns the single finding, the
/// client's output and the encryption the client asked for in its PRELOGIN.
fn login_once(
    config: &Arc<rustls::ServerConfig>,
    client: impl FnOnce(u16) -> String,
) -> (Finding, String, Option<Encryption>) {
    let server = TestServer::mssql(Some(config.clone()));
    let output = client(server.addr.port());
    let findings = server.wait_findings(1, Duration::from_secs(5));
    assert_eq!(
        findings.len(),
        1,
        "findings {findings:?}, client said: {output}"
    );
    let asked = server
        .client_bytes()
        .first()
        .and_then(|b| asked_encryption(b));
    (findings.into_iter().next().unwrap(), output, asked)
}

/// The ENCRYPTION option of the PRELOGIN a client sent first.
fn asked_encryption(bytes: &[u8]) -> Option<Encryption> {
    let packet = Packet::new_checked(bytes).ok()?;
    let prelogin = Prelogin::new_checked(packet.payload()).ok()?;
    PreloginRepr::parse(&prelogin).ok()?.encryption
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

fn check(finding: &Finding, asked: Option<Encryption>, expect: &Expect) {
    assert_eq!(finding.kind, EventKind::Login);
    assert_eq!(finding.username.as_deref(), Some(expect.user));
    assert_eq!(finding.password.as_deref(), Some(expect.password));
    assert_eq!(finding.client.host.as_deref(), Some(hostname().as_str()));
    assert_eq!(finding.client.app.as_deref(), Some(expect.app));
    assert_eq!(finding.client.library.as_deref(), Some(expect.library));
    assert_eq!(
        finding.client.library_version.as_deref(),
        Some(expect.library_version)
    );
    assert_eq!(finding.client.protocol_version.as_deref(), Some("7.4"));
    assert_eq!(finding.encrypted, expect.encrypted, "{finding:?}");
    assert_eq!(asked, Some(expect.asked));
    assert_eq!(finding.text, None);
}

#[test]
fn freetds_tsql_in_every_encryption_mode() {
    common::require("tsql", &["-C"]);
    let (dir, config, _) = tls();
    // FreeTDS's "off" is ENCRYPT_NOT_SUP, "request" ENCRYPT_OFF (login only), "require" ON.
    let modes = [
        ("off", "sa", WORLD_PASSWORD, Encryption::NotSupported, false),
        ("request", "admin", "P@ssw0rd!", Encryption::Off, true),
        ("require", "sa", WORLD_PASSWORD, Encryption::On, true),
    ];
    for (encryption, user, password, asked, encrypted) in modes {
        let (finding, output, sent) = login_once(&config, |port| {
            tsql(dir.path(), port, encryption, user, password)
        });
        assert!(
            output.contains("Msg 18456 (severity 14, state 1)"),
            "{output}"
        );
        assert!(
            output.contains(&format!("Login failed for user '{user}'.")),
            "{output}"
        );
        let expect = Expect {
            user,
            password,
            app: "TSQL",
            library: "TDS-Library",
            // FreeTDS sends the fixed bytes 06 83 f2 f8.
            library_version: "248.242.131.6",
            asked,
            encrypted,
        };
        check(&finding, sent, &expect);
    }
}

#[test]
fn pytds_in_every_encryption_mode() {
    common::require("python3", &["-c", "import pytds, OpenSSL"]);
    let (_dir, config, cert) = tls();
    let modes = [
        ("none", Encryption::NotSupported, false),
        ("login", Encryption::Off, true),
        ("full", Encryption::On, true),
    ];
    for (mode, asked, encrypted) in modes {
        let (finding, output, sent) =
            login_once(&config, |port| pytds(port, "sa", BMP_PASSWORD, mode, &cert));
        assert!(output.starts_with("error 18456 "), "{output}");
        assert!(output.contains("Login failed for user 'sa'."), "{output}");
        let expect = Expect {
            user: "sa",
            password: BMP_PASSWORD,
            app: "pytds",
            library: "Python TDS Library",
            // pytds sends its protocol-library version 1.0.0 as 0x01000000.
            library_version: "1.0.0.0",
            asked,
            encrypted,
        };
        check(&finding, sent, &expect);
    }
}

#[test]
fn pymssql_in_every_encryption_mode() {
    common::require("python3", &["-c", "import pymssql"]);
    let (_dir, config, _) = tls();
    // pymssql's own FreeTDS: the default is "request".
    let modes = [
        ("default", Encryption::Off, true),
        ("off", Encryption::NotSupported, false),
        ("request", Encryption::Off, true),
        ("require", Encryption::On, true),
    ];
    for (encryption, asked, encrypted) in modes {
        let (finding, output, sent) = login_once(&config, |port| {
            pymssql(port, "sa", WORLD_PASSWORD, encryption)
        });
        let version = output
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("version "))
            .unwrap();
        assert!(
            output.contains("error 18456 Login failed for user 'sa'."),
            "{output}"
        );
        let app = format!("pymssql={version}");
        let expect = Expect {
            user: "sa",
            password: WORLD_PASSWORD,
            app: &app,
            library: "DB-Library",
            library_version: "248.242.131.6",
            asked,
            encrypted,
        };
        check(&finding, sent, &expect);
    }
}

/// Without a certificate the honeypot answers NOT_SUP, as SQL Server without one does: a
/// client that requires encryption gives up before logging in, one that does not logs in.
#[test]
fn without_tls_only_clear_clients_log_in() {
    common::require("tsql", &["-C"]);
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::mssql(None);
    let port = server.addr.port();
    let output = tsql(dir.path(), port, "require", "sa", "x");
    assert!(!output.contains("18456"), "{output}");
    tsql(dir.path(), port, "request", "sa", "secret");
    let findings = server.wait_findings(1, Duration::from_secs(5));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].password.as_deref(), Some("secret"));
    assert!(!findings[0].encrypted);
}

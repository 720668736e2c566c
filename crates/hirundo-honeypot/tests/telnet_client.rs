//! Debian's telnet client (inetutils-telnet), driven by an `expect` script, logs into the
//! honeypot on loopback and types three commands: the events must show the connection, the
//! credentials with the terminal type the client announced, and the commands in order.
//!
//! Fails, naming what to install, when /usr/bin/telnet or expect is missing.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::Duration;

use common::TestServer;
use hirundo_honeypot::server::PasswordPolicy;
use hirundo_honeypot::{Event, EventKind, Protocol};

const TELNET: &str = "/usr/bin/telnet";
const USER: &str = "admin";
const PASSWORD: &str = "xc3511";
const COMMANDS: [&str; 3] = ["uname -a", "/bin/busybox ECCHI", "cat /proc/cpuinfo"];

fn script(addr: SocketAddr) -> String {
    format!(
        r#"
set timeout 5
proc step {{code pattern}} {{
    expect {{
        -ex $pattern {{}}
        timeout {{ exit $code }}
        eof {{ exit $code }}
    }}
}}
spawn {TELNET} {ip} {port}
step 11 "login: "
send "{USER}\r"
step 12 "Password: "
send "{PASSWORD}\r"
step 13 "~ # "
send "{c0}\r"
step 14 "armv5tejl GNU/Linux"
step 15 "~ # "
send "{c1}\r"
step 16 "ECCHI: applet not found"
step 17 "~ # "
send "{c2}\r"
step 18 "Hardware\t: hi3518"
step 19 "~ # "
send "exit\r"
expect {{
    eof {{}}
    timeout {{ exit 20 }}
}}
"#,
        ip = addr.ip(),
        port = addr.port(),
        c0 = COMMANDS[0],
        c1 = COMMANDS[1],
        c2 = COMMANDS[2],
    )
}

fn run_client(addr: SocketAddr) -> Output {
    Command::new("timeout")
        .args(["30", "expect", "-c", &script(addr)])
        .env("TERM", "xterm")
        .output()
        .expect("run expect")
}

#[test]
fn real_telnet_client_logs_in_and_types_commands() {
    common::require("expect", &["-v"]);
    common::require(TELNET, &["--version"]);
    let server = TestServer::telnet(PasswordPolicy::Keep);
    let addr = server.addr;
    let output = run_client(addr);
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "expect failed ({:?}):\n{transcript}",
        output.status.code()
    );
    std::thread::sleep(Duration::from_millis(100));
    let stats = std::sync::Arc::clone(&server.stats);
    let events = server.stop();
    check_events(&events, addr);
    let snapshot = stats.snapshot();
    assert_eq!(
        (snapshot.accepted, snapshot.events, snapshot.open),
        (1, 6, 0)
    );
}

fn check_events(events: &[Event], addr: SocketAddr) {
    let kinds: Vec<EventKind> = events.iter().map(|event| event.finding.kind).collect();
    use EventKind::{Command as Cmd, Connect, Login};
    assert_eq!(kinds, [Connect, Login, Cmd, Cmd, Cmd, Cmd]);
    assert!(events
        .iter()
        .all(|e| e.protocol == Protocol::Telnet && e.dst == addr && e.src.ip() == addr.ip()));
    assert!(events
        .windows(2)
        .all(|pair| pair[0].time_ns <= pair[1].time_ns));

    let login = &events[1].finding;
    assert_eq!(login.username.as_deref(), Some(USER));
    assert_eq!(login.password.as_deref(), Some(PASSWORD));
    // inetutils telnet answers DO TERMINAL-TYPE with WILL and then sends TERM, upper-cased.
    let terminal = login.client.app.as_deref().expect("terminal type");
    assert!(terminal.eq_ignore_ascii_case("xterm"), "{terminal}");

    let typed: Vec<&str> = events[2..]
        .iter()
        .map(|e| e.finding.text.as_deref().unwrap())
        .collect();
    assert_eq!(typed, [COMMANDS[0], COMMANDS[1], COMMANDS[2], "exit"]);
}

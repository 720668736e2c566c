//! Sessions driven with the bytes clients send: the Debian telnet client's negotiation, and a
//! Mirai-style bot that types everything at once with bare line ends.

use super::*;

const NEGOTIATION: &[u8] = &[
    IAC,
    DO,
    ECHO,
    IAC,
    DO,
    NAWS,
    IAC,
    WILL,
    ECHO,
    IAC,
    WILL,
    SUPPRESS_GO_AHEAD,
    IAC,
    DO,
    TERMINAL_TYPE,
];

struct Run {
    out: Vec<u8>,
    found: Vec<Finding>,
    flow: Flow,
}

fn run(chunks: &[&[u8]]) -> Run {
    let mut session = TelnetSession::new();
    let mut run = Run {
        out: Vec::new(),
        found: Vec::new(),
        flow: Flow::Continue,
    };
    session.start(&mut run.out);
    for chunk in chunks {
        run.flow = session.receive(chunk, &mut run.out, &mut run.found);
    }
    run
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn start_negotiates_like_busybox_then_prompts() {
    let run = run(&[]);
    assert_eq!(&run.out[..NEGOTIATION.len()], NEGOTIATION);
    assert_eq!(&run.out[NEGOTIATION.len()..], b"\r\n(none) login: ");
}

#[test]
fn terminal_type_is_asked_once_and_recorded() {
    let mut client = vec![
        IAC,
        WILL,
        TERMINAL_TYPE,
        IAC,
        WILL,
        TERMINAL_TYPE,
        IAC,
        SB,
        TERMINAL_TYPE,
        TTYPE_IS,
    ];
    client.extend_from_slice(b"XTERM-256COLOR");
    client.extend_from_slice(&[IAC, SE]);
    client.extend_from_slice(b"root\r\0xc3511\r\0");
    let run = run(&[&client]);
    let ask = [IAC, SB, TERMINAL_TYPE, TTYPE_SEND, IAC, SE];
    assert_eq!(run.out.windows(ask.len()).filter(|w| *w == ask).count(), 1);
    let login = &run.found[0];
    assert_eq!(login.kind, EventKind::Login);
    assert_eq!(login.username.as_deref(), Some("root"));
    assert_eq!(login.password.as_deref(), Some("xc3511"));
    assert_eq!(login.client.app.as_deref(), Some("XTERM-256COLOR"));
}

#[test]
fn user_name_is_echoed_password_is_not() {
    let run = run(&[b"adm", b"in\r", b"\n", b"s3cr", b"et\r\n"]);
    let shown = text(&run.out[NEGOTIATION.len()..]);
    assert!(
        shown.starts_with("\r\n(none) login: admin\r\nPassword: \r\n\r\nBusyBox v1.16.1"),
        "{shown:?}"
    );
    assert!(!shown.contains("s3cret"));
    assert!(shown.ends_with("~ # "));
}

#[test]
fn bot_typing_everything_at_once() {
    let run = run(&[b"root\nvizxv\nenable\nsystem\nshell\nsh\n/bin/busybox ECCHI\nexit\nid\n"]);
    assert_eq!(run.flow, Flow::Close);
    let commands: Vec<_> = run.found[1..]
        .iter()
        .map(|f| f.text.as_deref().unwrap())
        .collect();
    assert_eq!(
        commands,
        [
            "enable",
            "system",
            "shell",
            "sh",
            "/bin/busybox ECCHI",
            "exit"
        ]
    );
    assert!(run.found[1..]
        .iter()
        .all(|f| f.kind == EventKind::Command && f.username.as_deref() == Some("root")));
    assert!(text(&run.out).contains("\r\nECCHI: applet not found\r\n~ # "));
}

#[test]
fn closes_after_max_commands() {
    let mut input = b"u\np\n".to_vec();
    for _ in 0..MAX_COMMANDS + 5 {
        input.extend_from_slice(b"id\n");
    }
    let run = run(&[&input]);
    assert_eq!(run.flow, Flow::Close);
    assert_eq!(run.found.len(), 1 + MAX_COMMANDS);
}

#[test]
fn refuses_unknown_options_once() {
    let run = run(&[&[
        IAC, DO, 5, IAC, DO, 5, IAC, WILL, 39, IAC, WILL, 39, IAC, DONT, ECHO, IAC, DONT, ECHO,
    ]]);
    let replies = &run.out[NEGOTIATION.len()..];
    let expected = [IAC, WONT, 5, IAC, DONT, 39, IAC, WONT, ECHO];
    assert_eq!(&replies[replies.len() - expected.len()..], expected);
    assert_eq!(
        replies.len(),
        expected.len() + device::LOGIN_PROMPT.len() + 1
    );
}

#[test]
fn no_echo_after_dont_echo() {
    let run = run(&[&[IAC, DONT, ECHO], b"admin"]);
    assert!(!text(&run.out).contains("admin"));
}

#[test]
fn empty_user_names_then_hang_up() {
    let run = run(&[b"\r\n\r\n\r\n\r\n\r\n"]);
    assert_eq!(run.flow, Flow::Close);
    assert!(run.found.is_empty());
}

#[test]
fn ctrl_d_logs_out() {
    let run = run(&[b"a\nb\n\x04"]);
    assert_eq!(run.flow, Flow::Close);
    assert!(text(&run.out).ends_with("logout\r\n"));
}

#[test]
fn doubled_iac_in_a_password_is_one_byte() {
    let run = run(&[b"root\npa\xff\xffss\n"]);
    assert_eq!(run.found[0].password.as_deref(), Some("pa\u{fffd}ss"));
}

#[test]
fn closed_session_ignores_input() {
    let mut session = TelnetSession::new();
    let (mut out, mut found) = (Vec::new(), Vec::new());
    assert_eq!(
        session.receive(b"a\nb\nexit\n", &mut out, &mut found),
        Flow::Close
    );
    out.clear();
    assert_eq!(session.receive(b"id\n", &mut out, &mut found), Flow::Close);
    assert!(out.is_empty());
}

#[test]
fn erase_commands_edit_and_echo() {
    let user = run(&[b"rooot", &[IAC, EC], b"\r\n"]);
    assert!(text(&user.out).ends_with("rooot\x08 \x08\r\nPassword: "));
    let shell = run(&[b"x\ny\n", b"rm -rf /", &[IAC, EL], b"id\n"]);
    assert_eq!(shell.found.last().unwrap().text.as_deref(), Some("id"));
}

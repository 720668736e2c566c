//! The fake shell: picks a fixed answer for a command line. Nothing is executed; the only
//! thing derived from the input is the command word in "not found" messages and the text of
//! `echo`, both bounded by the line length.

use super::device;

/// Commands answered per line (`a; b; c`): more are ignored, to bound the output.
pub const MAX_SEGMENTS: usize = 8;

/// Whether the session goes on after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Exit,
}

/// Answers one command line: appends its output (with bare `\n` line ends) to `out`.
pub fn answer(line: &str, out: &mut Vec<u8>) -> Outcome {
    // `;`, `&&`, `||` and `|` all just separate commands here: each gets its answer.
    for segment in line.split([';', '&', '|']).take(MAX_SEGMENTS) {
        if run_segment(segment, out) == Outcome::Exit {
            return Outcome::Exit;
        }
    }
    Outcome::Continue
}

fn run_segment(segment: &str, out: &mut Vec<u8>) -> Outcome {
    // Output redirected to a file is not shown; errors still are (they go to stderr).
    let (command, redirected) = match segment.split_once('>') {
        Some((command, _)) => (command, true),
        None => (segment, false),
    };
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut stdout = Vec::new();
    let outcome = run(&words, &mut stdout, out);
    if !redirected {
        out.extend_from_slice(&stdout);
    }
    outcome
}

fn run(words: &[&str], stdout: &mut Vec<u8>, stderr: &mut Vec<u8>) -> Outcome {
    let Some(&name) = words.first() else {
        return Outcome::Continue;
    };
    let args = &words[1..];
    match name {
        "exit" | "logout" => return Outcome::Exit,
        "/bin/busybox" | "busybox" => return busybox(args, stdout, stderr),
        // Bots type these to get from a vendor CLI to a shell: we are one already.
        "enable" | "system" | "shell" | "sh" | "ash" | "linuxshell" => {}
        "cat" => cat(args, stdout, stderr),
        "uname" => stdout.extend_from_slice(uname(args)),
        "echo" => echo(args, stdout),
        "id" => stdout.extend_from_slice(device::ID),
        "whoami" => stdout.extend_from_slice(b"root\n"),
        "pwd" => stdout.extend_from_slice(b"/root\n"),
        "ps" => stdout.extend_from_slice(device::PS),
        "ls" => stdout.extend_from_slice(device::LS),
        "free" => stdout.extend_from_slice(device::FREE),
        // The rest of the applets succeed silently, as they mostly do.
        _ if device::APPLETS.contains(&name) => {}
        _ => not_found(b"-sh: ", name, b": not found\n", stderr),
    }
    Outcome::Continue
}

/// `busybox APPLET ARGS`: the applet if this BusyBox has it.
fn busybox(args: &[&str], stdout: &mut Vec<u8>, stderr: &mut Vec<u8>) -> Outcome {
    match args.first() {
        None => stdout.extend_from_slice(device::BUSYBOX_USAGE),
        Some(&"busybox") => stdout.extend_from_slice(device::BUSYBOX_USAGE),
        Some(applet) if device::APPLETS.contains(applet) => return run(args, stdout, stderr),
        Some(applet) => not_found(b"", applet, b": applet not found\n", stderr),
    }
    Outcome::Continue
}

fn not_found(prefix: &[u8], name: &str, suffix: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(suffix);
}

fn cat(args: &[&str], stdout: &mut Vec<u8>, stderr: &mut Vec<u8>) {
    for path in args.iter().filter(|arg| !arg.starts_with('-')) {
        match *path {
            "/proc/cpuinfo" => stdout.extend_from_slice(device::CPUINFO),
            "/proc/mounts" => stdout.extend_from_slice(device::MOUNTS),
            "/proc/version" => stdout.extend_from_slice(device::VERSION),
            "/etc/passwd" => stdout.extend_from_slice(device::PASSWD),
            _ => not_found(
                b"cat: can't open '",
                path,
                b"': No such file or directory\n",
                stderr,
            ),
        }
    }
}

fn uname(args: &[&str]) -> &'static [u8] {
    match args.first().copied() {
        Some("-a") => device::UNAME_ALL,
        Some("-m") => device::UNAME_MACHINE,
        Some("-r") => device::UNAME_RELEASE,
        _ => device::UNAME,
    }
}

/// `echo [-n] [-e] TEXT`: quotes removed and, with -e, `\xHH` and the usual escapes undone,
/// since bots check their uploads with `echo -e '\x41\x4b'`.
fn echo(args: &[&str], stdout: &mut Vec<u8>) {
    let (mut newline, mut escapes) = (true, false);
    let mut rest = args;
    while let Some((flag, tail)) = rest.split_first() {
        match *flag {
            "-n" => newline = false,
            "-e" => escapes = true,
            "-ne" | "-en" => (newline, escapes) = (false, true),
            _ => break,
        }
        rest = tail;
    }
    let text: String = rest
        .join(" ")
        .chars()
        .filter(|c| !matches!(c, '\'' | '"'))
        .collect();
    if escapes {
        unescape(text.as_bytes(), stdout);
    } else {
        stdout.extend_from_slice(text.as_bytes());
    }
    if newline {
        stdout.push(b'\n');
    }
}

fn unescape(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < text.len() {
        let (byte, used) = match &text[i..] {
            [b'\\', b'x', hi, lo, ..] => match (hex(*hi), hex(*lo)) {
                (Some(hi), Some(lo)) => (hi << 4 | lo, 4),
                _ => (b'\\', 1),
            },
            [b'\\', b'n', ..] => (b'\n', 2),
            [b'\\', b't', ..] => (b'\t', 2),
            [b'\\', b'\\', ..] => (b'\\', 2),
            [byte, ..] => (*byte, 1),
            [] => break,
        };
        out.push(byte);
        i += used;
    }
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &str) -> (String, Outcome) {
        let mut out = Vec::new();
        let outcome = answer(line, &mut out);
        (String::from_utf8_lossy(&out).into_owned(), outcome)
    }

    #[test]
    fn mirai_probe() {
        assert_eq!(text("/bin/busybox ECCHI").0, "ECCHI: applet not found\n");
        assert_eq!(
            text("/bin/busybox cat /proc/mounts; /bin/busybox ECCHI").0,
            format!(
                "{}ECCHI: applet not found\n",
                String::from_utf8_lossy(device::MOUNTS)
            )
        );
    }

    #[test]
    fn shell_words_give_just_a_prompt() {
        for word in ["enable", "system", "shell", "sh", ""] {
            assert_eq!(text(word), (String::new(), Outcome::Continue));
        }
    }

    #[test]
    fn fixed_answers() {
        assert!(text("uname -a").0.contains("armv5tejl"));
        assert!(text("cat /proc/cpuinfo").0.contains("ARM926EJ-S"));
        assert_eq!(
            text("wget http://x/y -O /tmp/y").0,
            "-sh: wget: not found\n"
        );
        assert_eq!(text("/bin/busybox wget").0, "wget: applet not found\n");
        assert_eq!(
            text("cat /etc/shadow").0,
            "cat: can't open '/etc/shadow': No such file or directory\n"
        );
    }

    #[test]
    fn echo_and_redirection() {
        assert_eq!(text("echo -e '\\x6b\\x61mi'").0, "kami\n");
        assert_eq!(text("echo -n hi").0, "hi");
        assert_eq!(
            text("echo -e '\\x7fELF' > /tmp/.x; tftp").0,
            "-sh: tftp: not found\n"
        );
    }

    #[test]
    fn exit_stops_the_line() {
        assert_eq!(
            text("id; exit; id"),
            ("uid=0(root) gid=0(root)\n".to_string(), Outcome::Exit)
        );
    }

    #[test]
    fn segments_are_bounded() {
        let line = "id;".repeat(100);
        assert_eq!(text(&line).0.len(), MAX_SEGMENTS * device::ID.len());
    }
}

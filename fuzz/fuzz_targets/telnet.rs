//! The telnet session on arbitrary bytes, cut into reads at fuzzer-chosen points: it must
//! never panic, and its output and findings must stay within the session's bounds.
#![no_main]

use hirundo_honeypot::telnet::{line::MAX_LINE, MAX_ANSWER, MAX_COMMANDS};
use hirundo_honeypot::{Flow, Session, TelnetSession};
use libfuzzer_sys::fuzz_target;

/// The most output a session may give for `input` bytes: the greeting and the answers to
/// every command (doubled for CR LF and IAC escaping), plus a few bytes per input byte
/// (echo, erasures, prompts after empty lines, negotiation replies).
fn output_bound(input: usize) -> usize {
    4096 + MAX_COMMANDS * (2 * MAX_ANSWER + 64) + 8 * input + 3 * MAX_LINE
}

fuzz_target!(|data: &[u8]| {
    // First byte: how many cuts (0 to 7); the next ones: where, as offsets into the rest.
    let Some((&cuts, rest)) = data.split_first() else {
        return;
    };
    let cuts = usize::from(cuts % 8).min(rest.len());
    let (offsets, input) = rest.split_at(cuts);
    let mut points: Vec<usize> = offsets
        .iter()
        .map(|&offset| {
            if input.is_empty() {
                0
            } else {
                usize::from(offset) * input.len() / 256
            }
        })
        .collect();
    points.sort_unstable();

    let mut session = TelnetSession::new();
    let (mut out, mut found) = (Vec::new(), Vec::new());
    session.start(&mut out);
    let mut start = 0;
    let mut closed = false;
    for end in points.into_iter().chain([input.len()]) {
        let flow = session.receive(&input[start..end], &mut out, &mut found);
        // Once closed, a session stays closed.
        assert!(!closed || flow == Flow::Close);
        closed = flow == Flow::Close;
        start = end;
    }
    assert!(
        out.len() <= output_bound(input.len()),
        "{} bytes out for {} in",
        out.len(),
        input.len()
    );
    assert!(found.len() <= 1 + MAX_COMMANDS);
    for finding in &found {
        assert!(finding
            .text
            .as_ref()
            .is_none_or(|text| text.len() <= 3 * MAX_LINE));
    }
});

//! The telnet service: a login prompt and a shell that answer like a BusyBox IP camera
//! (see [`device`] for which one), record the credentials and the first commands, and
//! execute nothing.
//!
//! [`TelnetSession`] is sans-I/O: [`codec`] splits the stream into data and IAC commands,
//! [`line`] assembles lines, [`shell`] picks fixed answers. Every buffer is bounded: a line is
//! at most [`line::MAX_LINE`] bytes, a subnegotiation [`codec::MAX_SUBNEGOTIATION`], and the
//! session closes after [`MAX_COMMANDS`] commands of at most [`MAX_ANSWER`] bytes of answer
//! each, so the output is bounded by a constant plus a few bytes per input byte.

pub mod codec;
pub mod device;
pub mod line;
pub mod shell;

use crate::{ClientInfo, EventKind, Finding, Flow, Session};
use codec::{code::*, put_data, put_negotiation, Decoder, Token, Verb};
use line::{Edit, LineEditor};
use shell::Outcome;

/// Commands recorded before the session says goodbye: enough to see what a bot is after
/// (the probe, the download, the start), few enough that nobody uses us as a sandbox.
pub const MAX_COMMANDS: usize = 20;

/// Bytes of one command's answer shown at most (before CR LF and IAC doubling): `cat` of
/// many files in one line would otherwise turn 512 bytes in into tens of KiB out.
pub const MAX_ANSWER: usize = 4096;

/// Empty user names accepted before hanging up, as `login` does after a few.
pub const MAX_LOGIN_PROMPTS: usize = 5;

/// RFC 1091 limits terminal types to 40 characters.
pub const MAX_TERMINAL_TYPE: usize = 40;

/// Where the conversation is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    User,
    Password { username: String },
    Shell { username: String },
    Closed,
}

/// A set of option codes, for the options already answered (so that a client repeating a
/// request cannot make us repeat the answer: RFC 854's loop avoidance, and an output bound).
#[derive(Clone, Debug, Default)]
struct OptionSet([u64; 4]);

impl OptionSet {
    /// Adds `option`; true if it was not there yet.
    fn insert(&mut self, option: u8) -> bool {
        let (word, bit) = (usize::from(option / 64), 1u64 << (option % 64));
        let fresh = self.0[word] & bit == 0;
        self.0[word] |= bit;
        fresh
    }
}

/// One telnet connection.
#[derive(Debug)]
pub struct TelnetSession {
    decoder: Decoder,
    editor: LineEditor,
    phase: Phase,
    /// We echo what the client types (we said WILL ECHO; DONT ECHO turns it off).
    echo: bool,
    asked_terminal_type: bool,
    terminal_type: Option<String>,
    /// Options the client asked us to do (DO) and we refused, and options it offered (WILL)
    /// and we refused.
    refused_do: OptionSet,
    refused_will: OptionSet,
    login_prompts: usize,
    commands: usize,
}

impl Default for TelnetSession {
    fn default() -> TelnetSession {
        TelnetSession::new()
    }
}

impl TelnetSession {
    pub fn new() -> TelnetSession {
        TelnetSession {
            decoder: Decoder::default(),
            editor: LineEditor::default(),
            phase: Phase::User,
            echo: true,
            asked_terminal_type: false,
            terminal_type: None,
            refused_do: OptionSet::default(),
            refused_will: OptionSet::default(),
            login_prompts: 1,
            commands: 0,
        }
    }

    /// Whether the session has said goodbye.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    fn client(&self) -> ClientInfo {
        ClientInfo {
            app: self.terminal_type.clone(),
            ..ClientInfo::default()
        }
    }

    fn negotiate(&mut self, verb: Verb, option: u8, out: &mut Vec<u8>) {
        match (verb, option) {
            (Verb::Will, TERMINAL_TYPE) if !self.asked_terminal_type => {
                self.asked_terminal_type = true;
                out.extend_from_slice(&[IAC, SB, TERMINAL_TYPE, TTYPE_SEND, IAC, SE]);
            }
            // Answers to what we asked for (DO ECHO, DO NAWS, DO TERMINAL-TYPE) or offered
            // (WILL ECHO, WILL SUPPRESS-GO-AHEAD): nothing more to say.
            (Verb::Will, TERMINAL_TYPE | NAWS | ECHO) => {}
            (Verb::Do, ECHO | SUPPRESS_GO_AHEAD) => {}
            (Verb::Will, _) if self.refused_will.insert(option) => {
                put_negotiation(out, Verb::Dont, option)
            }
            (Verb::Do, _) if self.refused_do.insert(option) => {
                put_negotiation(out, Verb::Wont, option)
            }
            (Verb::Dont, ECHO) if self.echo => {
                self.echo = false;
                put_negotiation(out, Verb::Wont, ECHO);
            }
            _ => {}
        }
    }

    /// Applies what a data byte (or IAC EC, IAC EL) did to the line.
    fn edit(&mut self, edit: Edit, out: &mut Vec<u8>, found: &mut Vec<Finding>) {
        let echo = self.echo && !matches!(self.phase, Phase::Password { .. });
        match edit {
            Edit::None => {}
            Edit::Insert(byte) if echo => put_data(out, &[byte]),
            Edit::Erase if echo => out.extend_from_slice(b"\x08 \x08"),
            Edit::Kill(erased) if echo => {
                (0..erased).for_each(|_| out.extend_from_slice(b"\x08 \x08"))
            }
            Edit::Insert(_) | Edit::Erase | Edit::Kill(_) => {}
            Edit::Interrupt => {
                out.extend_from_slice(b"^C");
                self.prompt_again(out);
            }
            Edit::EndOfInput => self.close(out),
            Edit::Line(line) => self.line(&line, out, found),
        }
    }

    /// After ^C: a new prompt for the same question.
    fn prompt_again(&mut self, out: &mut Vec<u8>) {
        put_text(out, b"\n");
        match self.phase {
            Phase::User => put_text(out, device::LOGIN_PROMPT),
            Phase::Password { .. } => {
                // `login` starts over after an interrupted password.
                self.phase = Phase::User;
                put_text(out, device::LOGIN_PROMPT);
            }
            Phase::Shell { .. } => put_text(out, device::SHELL_PROMPT),
            Phase::Closed => {}
        }
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<u8>, found: &mut Vec<Finding>) {
        // The client does not echo Return (we echo): the line end is ours to print.
        put_text(out, b"\n");
        let text = String::from_utf8_lossy(line).into_owned();
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::User => self.user(text, out),
            Phase::Password { username } => self.password(username, text, out, found),
            Phase::Shell { username } => self.command(username, text, out, found),
            Phase::Closed => {}
        }
    }

    fn user(&mut self, username: String, out: &mut Vec<u8>) {
        if !username.trim().is_empty() {
            self.phase = Phase::Password { username };
            put_text(out, device::PASSWORD_PROMPT);
        } else if self.login_prompts < MAX_LOGIN_PROMPTS {
            self.login_prompts += 1;
            self.phase = Phase::User;
            put_text(out, device::LOGIN_PROMPT);
        }
    }

    fn password(
        &mut self,
        username: String,
        password: String,
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) {
        found.push(Finding {
            username: Some(username.clone()),
            password: Some(password),
            client: self.client(),
            ..Finding::new(EventKind::Login)
        });
        // Every password is right: what the client does next is what we are here to see.
        self.phase = Phase::Shell { username };
        put_text(out, device::SHELL_BANNER);
        put_text(out, device::SHELL_PROMPT);
    }

    fn command(
        &mut self,
        username: String,
        line: String,
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) {
        let command = line.trim();
        if command.is_empty() {
            self.phase = Phase::Shell { username };
            put_text(out, device::SHELL_PROMPT);
            return;
        }
        found.push(Finding {
            username: Some(username.clone()),
            client: self.client(),
            text: Some(command.to_owned()),
            ..Finding::new(EventKind::Command)
        });
        self.commands += 1;
        let mut answer = Vec::new();
        let outcome = shell::answer(command, &mut answer);
        answer.truncate(MAX_ANSWER);
        put_text(out, &answer);
        if outcome == Outcome::Continue && self.commands < MAX_COMMANDS {
            self.phase = Phase::Shell { username };
            put_text(out, device::SHELL_PROMPT);
        }
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if matches!(self.phase, Phase::Shell { .. }) {
            put_text(out, b"logout\n");
        }
        self.phase = Phase::Closed;
    }
}

impl Session for TelnetSession {
    /// What BusyBox telnetd sends before exec'ing `login` (IAC DO ECHO, IAC DO NAWS,
    /// IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, in that order), plus IAC DO TERMINAL-TYPE,
    /// which BusyBox does not send: we ask because the terminal type tells clients apart.
    fn start(&mut self, out: &mut Vec<u8>) {
        put_negotiation(out, Verb::Do, ECHO);
        put_negotiation(out, Verb::Do, NAWS);
        put_negotiation(out, Verb::Will, ECHO);
        put_negotiation(out, Verb::Will, SUPPRESS_GO_AHEAD);
        put_negotiation(out, Verb::Do, TERMINAL_TYPE);
        put_text(out, device::LOGIN_PROMPT);
    }

    fn receive(&mut self, input: &[u8], out: &mut Vec<u8>, found: &mut Vec<Finding>) -> Flow {
        for &byte in input {
            if self.is_closed() {
                break;
            }
            match self.decoder.feed(byte) {
                None => {}
                Some(Token::Data(byte)) => {
                    let edit = self.editor.push(byte);
                    self.edit(edit, out, found);
                }
                Some(Token::Negotiate(verb, option)) => self.negotiate(verb, option, out),
                Some(Token::Subnegotiation { option, payload }) => {
                    // The first answer counts: we ask once.
                    self.terminal_type = self
                        .terminal_type
                        .take()
                        .or_else(|| terminal_type(option, payload));
                }
                Some(Token::Command(EC)) => {
                    let edit = self.editor.erase();
                    self.edit(edit, out, found);
                }
                Some(Token::Command(EL)) => {
                    let edit = self.editor.kill();
                    self.edit(edit, out, found);
                }
                Some(Token::Command(_)) => {}
            }
        }
        if self.is_closed() {
            Flow::Close
        } else {
            Flow::Continue
        }
    }
}

/// The name in a TERMINAL-TYPE IS subnegotiation: printable ASCII, at most 40 characters.
fn terminal_type(option: u8, payload: &[u8]) -> Option<String> {
    let [TTYPE_IS, name @ ..] = payload else {
        return None;
    };
    if option != TERMINAL_TYPE {
        return None;
    }
    let name: String = name
        .iter()
        .filter(|byte| byte.is_ascii_graphic())
        .take(MAX_TERMINAL_TYPE)
        .map(|&byte| char::from(byte))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Appends terminal text: `\n` becomes CR LF (a tty's onlcr) and 0xFF is doubled.
fn put_text(out: &mut Vec<u8>, text: &[u8]) {
    for line in text.split_inclusive(|&byte| byte == b'\n') {
        match line.strip_suffix(b"\n") {
            Some(line) => {
                put_data(out, line);
                out.extend_from_slice(b"\r\n");
            }
            None => put_data(out, line),
        }
    }
}

#[cfg(test)]
mod tests;

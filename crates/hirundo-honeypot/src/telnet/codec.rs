//! The telnet byte stream (RFC 854, RFC 855): separates data bytes from IAC commands,
//! option negotiation and subnegotiation, one byte at a time so that a read may end anywhere.
//!
//! The decoder never allocates beyond its fixed subnegotiation buffer and never fails: bytes
//! that break the grammar (an IAC followed by an unknown byte, an overlong subnegotiation)
//! are dropped, the way a lenient telnetd does.

/// Command and option codes, as named in RFC 854 and the option RFCs.
pub mod code {
    /// Interpret As Command: starts every command; doubled, a literal 0xFF data byte.
    pub const IAC: u8 = 255;
    pub const DONT: u8 = 254;
    pub const DO: u8 = 253;
    pub const WONT: u8 = 252;
    pub const WILL: u8 = 251;
    /// Subnegotiation Begin.
    pub const SB: u8 = 250;
    /// Erase Line.
    pub const EL: u8 = 248;
    /// Erase Character.
    pub const EC: u8 = 247;
    /// Subnegotiation End.
    pub const SE: u8 = 240;

    /// RFC 857.
    pub const ECHO: u8 = 1;
    /// RFC 858: no go-ahead, i.e. character at a time.
    pub const SUPPRESS_GO_AHEAD: u8 = 3;
    /// RFC 1091.
    pub const TERMINAL_TYPE: u8 = 24;
    /// RFC 1073: window size.
    pub const NAWS: u8 = 31;

    /// TERMINAL-TYPE subnegotiation: the client's answer.
    pub const TTYPE_IS: u8 = 0;
    /// TERMINAL-TYPE subnegotiation: the server's question.
    pub const TTYPE_SEND: u8 = 1;
}

use code::*;

/// Longest subnegotiation payload kept (option byte excluded). RFC 1091 limits terminal
/// types to 40 characters; NAWS needs 4 bytes (8 when every byte is a doubled 0xFF, which
/// the decoder undoes). Longer ones are dropped whole.
pub const MAX_SUBNEGOTIATION: usize = 64;

/// An option negotiation verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Will,
    Wont,
    Do,
    Dont,
}

impl Verb {
    fn from_code(byte: u8) -> Option<Verb> {
        match byte {
            WILL => Some(Verb::Will),
            WONT => Some(Verb::Wont),
            DO => Some(Verb::Do),
            DONT => Some(Verb::Dont),
            _ => None,
        }
    }

    /// The byte on the wire.
    pub fn code(self) -> u8 {
        match self {
            Verb::Will => WILL,
            Verb::Wont => WONT,
            Verb::Do => DO,
            Verb::Dont => DONT,
        }
    }
}

/// What one byte of input completed.
#[derive(Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A data byte (IAC IAC gives 0xFF).
    Data(u8),
    /// IAC WILL/WONT/DO/DONT option.
    Negotiate(Verb, u8),
    /// IAC SB option payload IAC SE, payload with IAC IAC undone.
    Subnegotiation { option: u8, payload: &'a [u8] },
    /// Another two-byte command (IAC EC, IAC EL, IAC AYT, IAC NOP, ...).
    Command(u8),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Data,
    /// After IAC.
    Iac,
    /// After IAC verb.
    Option(Verb),
    /// After IAC SB: the option byte comes next.
    SubOption,
    /// Inside a subnegotiation payload.
    Sub,
    /// After IAC inside a subnegotiation.
    SubIac,
}

/// The incremental decoder.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    sub_option: u8,
    sub_len: usize,
    /// More than [`MAX_SUBNEGOTIATION`] bytes came: the subnegotiation is dropped at its end.
    sub_overflow: bool,
    sub_buf: [u8; MAX_SUBNEGOTIATION],
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder {
            state: State::Data,
            sub_option: 0,
            sub_len: 0,
            sub_overflow: false,
            sub_buf: [0; MAX_SUBNEGOTIATION],
        }
    }
}

impl Decoder {
    /// Takes one byte; returns what it completed, if anything.
    pub fn feed(&mut self, byte: u8) -> Option<Token<'_>> {
        match self.state {
            State::Data if byte == IAC => self.go(State::Iac),
            State::Data => Some(Token::Data(byte)),
            State::Iac => self.after_iac(byte),
            State::Option(verb) => {
                self.state = State::Data;
                Some(Token::Negotiate(verb, byte))
            }
            State::SubOption => {
                self.sub_option = byte;
                self.sub_len = 0;
                self.sub_overflow = false;
                self.go(State::Sub)
            }
            State::Sub if byte == IAC => self.go(State::SubIac),
            State::Sub => self.push_sub(byte),
            State::SubIac => self.after_sub_iac(byte),
        }
    }

    fn go(&mut self, state: State) -> Option<Token<'_>> {
        self.state = state;
        None
    }

    fn after_iac(&mut self, byte: u8) -> Option<Token<'_>> {
        self.state = State::Data;
        if byte == IAC {
            return Some(Token::Data(IAC));
        }
        if byte == SB {
            return self.go(State::SubOption);
        }
        if let Some(verb) = Verb::from_code(byte) {
            return self.go(State::Option(verb));
        }
        Some(Token::Command(byte))
    }

    fn push_sub(&mut self, byte: u8) -> Option<Token<'_>> {
        match self.sub_buf.get_mut(self.sub_len) {
            Some(slot) => {
                *slot = byte;
                self.sub_len += 1;
            }
            None => self.sub_overflow = true,
        }
        None
    }

    fn after_sub_iac(&mut self, byte: u8) -> Option<Token<'_>> {
        match byte {
            IAC => {
                self.state = State::Sub;
                self.push_sub(IAC)
            }
            SE => {
                self.state = State::Data;
                if self.sub_overflow {
                    return None;
                }
                Some(Token::Subnegotiation {
                    option: self.sub_option,
                    payload: &self.sub_buf[..self.sub_len],
                })
            }
            // RFC 855 leaves anything else undefined; like most telnetds, end the
            // subnegotiation (dropped) and read the byte as the command after an IAC.
            _ => {
                self.state = State::Data;
                self.after_iac(byte)
            }
        }
    }
}

/// Appends `data` to `out` as telnet data: 0xFF doubled, so that it is not read as IAC.
pub fn put_data(out: &mut Vec<u8>, data: &[u8]) {
    for &byte in data {
        out.push(byte);
        if byte == IAC {
            out.push(IAC);
        }
    }
}

/// Appends IAC verb option.
pub fn put_negotiation(out: &mut Vec<u8>, verb: Verb, option: u8) {
    out.extend_from_slice(&[IAC, verb.code(), option]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8]) -> Vec<String> {
        let mut decoder = Decoder::default();
        let mut tokens = Vec::new();
        for &byte in input {
            if let Some(token) = decoder.feed(byte) {
                tokens.push(format!("{token:?}"));
            }
        }
        tokens
    }

    #[test]
    fn data_and_doubled_iac() {
        assert_eq!(decode(b"a\xff\xffb"), ["Data(97)", "Data(255)", "Data(98)"]);
    }

    #[test]
    fn negotiation() {
        assert_eq!(
            decode(&[IAC, WILL, TERMINAL_TYPE, IAC, DONT, ECHO]),
            ["Negotiate(Will, 24)", "Negotiate(Dont, 1)"]
        );
    }

    #[test]
    fn terminal_type_subnegotiation() {
        let mut input = vec![IAC, SB, TERMINAL_TYPE, TTYPE_IS];
        input.extend_from_slice(b"XTERM");
        input.extend_from_slice(&[IAC, SE, b'x']);
        let mut decoder = Decoder::default();
        let mut seen = None;
        for &byte in &input {
            if let Some(Token::Subnegotiation { option, payload }) = decoder.feed(byte) {
                seen = Some((option, payload.to_vec()));
            }
        }
        assert_eq!(seen, Some((TERMINAL_TYPE, b"\0XTERM".to_vec())));
        assert_eq!(decoder.state, State::Data);
    }

    #[test]
    fn subnegotiation_undoubles_iac() {
        let tokens = decode(&[IAC, SB, NAWS, 0, IAC, IAC, 0, 24, IAC, SE]);
        assert_eq!(
            tokens,
            ["Subnegotiation { option: 31, payload: [0, 255, 0, 24] }"]
        );
    }

    #[test]
    fn overlong_subnegotiation_is_dropped() {
        let mut input = vec![IAC, SB, TERMINAL_TYPE];
        input.extend(std::iter::repeat_n(b'A', 10_000));
        input.extend_from_slice(&[IAC, SE, b'z']);
        assert_eq!(decode(&input), ["Data(122)"]);
    }

    #[test]
    fn stray_iac_in_subnegotiation_ends_it() {
        assert_eq!(
            decode(&[IAC, SB, 24, b'a', IAC, 241, b'b']),
            ["Command(241)", "Data(98)"]
        );
    }

    #[test]
    fn put_data_doubles_iac() {
        let mut out = Vec::new();
        put_data(&mut out, &[1, 255, 2]);
        assert_eq!(out, [1, 255, 255, 2]);
    }
}

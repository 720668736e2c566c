//! Line assembly from telnet data bytes: the three line ends clients send (CR LF, CR NUL,
//! bare LF), backspace and DEL editing, and a bounded length.
//!
//! Telnet clients in character mode (the server said WILL ECHO and WILL SUPPRESS-GO-AHEAD)
//! send Return as CR NUL or CR LF; scripts and bots often send bare LF. A CR ends the line at
//! once and the LF or NUL after it is swallowed, so that no line end counts twice.

/// Longest line kept, in bytes; the rest of a longer line is dropped (not echoed either).
/// BusyBox's line editor stops at about the same length.
pub const MAX_LINE: usize = 512;

const BACKSPACE: u8 = 0x08;
const DEL: u8 = 0x7f;
const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const CTRL_U: u8 = 0x15;

/// What a byte did to the line.
#[derive(Debug, PartialEq, Eq)]
pub enum Edit {
    /// Nothing visible (a swallowed line end, a control byte, a byte past the limit).
    None,
    /// The byte was added: echo it.
    Insert(u8),
    /// The last byte was erased: echo backspace, space, backspace.
    Erase,
    /// The whole line was erased (Ctrl-U, IAC EL): echo that many erasures.
    Kill(usize),
    /// Ctrl-C: the line is abandoned.
    Interrupt,
    /// Ctrl-D on an empty line: end of input.
    EndOfInput,
    /// Return: the line is complete (without its end).
    Line(Vec<u8>),
}

/// The line being typed.
#[derive(Debug, Default)]
pub struct LineEditor {
    buf: Vec<u8>,
    /// The previous byte was CR: a following LF or NUL belongs to the same line end.
    after_cr: bool,
}

impl LineEditor {
    /// Takes one data byte.
    pub fn push(&mut self, byte: u8) -> Edit {
        let after_cr = std::mem::take(&mut self.after_cr);
        match byte {
            b'\n' | 0 if after_cr => Edit::None,
            b'\r' => {
                self.after_cr = true;
                Edit::Line(std::mem::take(&mut self.buf))
            }
            b'\n' => Edit::Line(std::mem::take(&mut self.buf)),
            BACKSPACE | DEL => self.erase(),
            CTRL_U => self.kill(),
            CTRL_C => {
                self.buf.clear();
                Edit::Interrupt
            }
            CTRL_D if self.buf.is_empty() => Edit::EndOfInput,
            0..=0x1f => Edit::None,
            _ => self.insert(byte),
        }
    }

    /// Erases the last byte (also IAC EC).
    pub fn erase(&mut self) -> Edit {
        match self.buf.pop() {
            Some(_) => Edit::Erase,
            None => Edit::None,
        }
    }

    /// Erases the whole line (also IAC EL).
    pub fn kill(&mut self) -> Edit {
        let erased = self.buf.len();
        self.buf.clear();
        Edit::Kill(erased)
    }

    fn insert(&mut self, byte: u8) -> Edit {
        if self.buf.len() >= MAX_LINE {
            return Edit::None;
        }
        // Room for the longest line is taken once, so that a line never reallocates.
        self.buf.reserve_exact(MAX_LINE);
        self.buf.push(byte);
        Edit::Insert(byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Vec<u8>> {
        let mut editor = LineEditor::default();
        input
            .iter()
            .filter_map(|&byte| match editor.push(byte) {
                Edit::Line(line) => Some(line),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn line_ends() {
        assert_eq!(
            lines(b"a\r\nb\r\0c\nd\re\r"),
            [b"a", b"b", b"c", b"d", b"e"]
        );
    }

    #[test]
    fn empty_lines_count_once() {
        assert_eq!(lines(b"\r\n\r\n"), [b"", b""]);
        assert_eq!(lines(b"\n\n"), [b"", b""]);
    }

    #[test]
    fn editing() {
        assert_eq!(lines(b"lx\x08s\x7f\x7fls -l\r\n"), [b"ls -l"]);
        assert_eq!(lines(b"rm -rf\x15id\n"), [b"id"]);
        assert_eq!(lines(b"\x08\x08ok\n"), [b"ok"]);
    }

    #[test]
    fn length_is_bounded() {
        let mut input = vec![b'A'; 10 * MAX_LINE];
        input.push(b'\n');
        assert_eq!(lines(&input), [vec![b'A'; MAX_LINE]]);
    }

    #[test]
    fn control_bytes() {
        let mut editor = LineEditor::default();
        assert_eq!(editor.push(0x04), Edit::EndOfInput);
        assert_eq!(editor.push(b'x'), Edit::Insert(b'x'));
        assert_eq!(editor.push(0x04), Edit::None);
        assert_eq!(editor.push(0x03), Edit::Interrupt);
        assert_eq!(editor.push(b'\n'), Edit::Line(Vec::new()));
    }
}

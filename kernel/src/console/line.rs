//! Console line editing: printable ASCII is appended and echoed, backspace/DEL erase, Ctrl-U
//! clears the line, Ctrl-C abandons it, CR, LF or CR LF end it, other control bytes and ANSI
//! escape sequences (arrow keys, ...) are ignored. Pure logic, tested on the host.
use alloc::string::String;

/// Longest line accepted; further characters are refused with a bell.
pub const MAX_LINE: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Normal,
    /// Just saw CR: a following LF belongs to the same line end.
    AfterCr,
    /// Saw ESC.
    Escape,
    /// Inside `ESC [ ... final`.
    Csi,
}

/// A line editor fed one byte at a time.
pub struct LineEditor {
    line: String,
    state: State,
}

impl Default for LineEditor {
    fn default() -> Self {
        Self::new()
    }
}

impl LineEditor {
    pub const fn new() -> Self {
        Self { line: String::new(), state: State::Normal }
    }

    /// Feeds one input byte. Bytes to send back to the terminal go to `echo`. Returns the line
    /// when it is complete (Ctrl-C returns an empty line).
    pub fn feed(&mut self, byte: u8, echo: &mut impl FnMut(&[u8])) -> Option<String> {
        match (self.state, byte) {
            (State::Escape, b'[') => {
                self.state = State::Csi;
                return None;
            }
            (State::Escape, _) => {
                self.state = State::Normal;
                return None;
            }
            (State::Csi, 0x40..=0x7e) => {
                self.state = State::Normal;
                return None;
            }
            (State::Csi, _) => return None,
            (State::AfterCr, b'\n') => {
                self.state = State::Normal;
                return None;
            }
            _ => self.state = State::Normal,
        }
        match byte {
            b'\r' | b'\n' => {
                if byte == b'\r' {
                    self.state = State::AfterCr;
                }
                echo(b"\r\n");
                Some(core::mem::take(&mut self.line))
            }
            0x08 | 0x7f => {
                if self.line.pop().is_some() {
                    echo(b"\x08 \x08");
                }
                None
            }
            0x15 => {
                for _ in 0..self.line.len() {
                    echo(b"\x08 \x08");
                }
                self.line.clear();
                None
            }
            0x03 => {
                self.line.clear();
                echo(b"^C\r\n");
                Some(String::new())
            }
            0x1b => {
                self.state = State::Escape;
                None
            }
            0x20..=0x7e if self.line.len() < MAX_LINE => {
                self.line.push(char::from(byte));
                echo(&[byte]);
                None
            }
            0x20..=0x7e => {
                echo(b"\x07");
                None
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn run(input: &[u8]) -> (Vec<String>, Vec<u8>) {
        let mut ed = LineEditor::new();
        let mut echoed = Vec::new();
        let mut lines = Vec::new();
        for &b in input {
            if let Some(l) = ed.feed(b, &mut |e: &[u8]| echoed.extend_from_slice(e)) {
                lines.push(l);
            }
        }
        (lines, echoed)
    }

    #[test]
    fn plain_lines_with_any_line_ending() {
        let (lines, echo) = run(b"mem\ncpu\r\nuptime\rhelp\n");
        assert_eq!(lines, ["mem", "cpu", "uptime", "help"]);
        assert_eq!(echo, b"mem\r\ncpu\r\nuptime\r\nhelp\r\n");
    }

    #[test]
    fn empty_lines_are_lines() {
        let (lines, _) = run(b"\n\r\n\r\r");
        assert_eq!(lines, ["", "", "", ""]);
    }

    #[test]
    fn backspace_and_delete_erase() {
        let (lines, echo) = run(b"mex\x08m\x7f\x7fem\n\x08\x08x\n");
        assert_eq!(lines, ["mem", "x"]);
        assert!(echo.starts_with(b"mex\x08 \x08m\x08 \x08\x08 \x08em\r\n"));
    }

    #[test]
    fn control_bytes_and_escape_sequences_are_ignored() {
        let (lines, echo) = run(b"u\x01p\x1b[A\x1b[1;5Ct\x1bOi\tme\x00\n");
        // ESC O is a two-byte sequence: 'O' is swallowed, 'i' is kept.
        assert_eq!(lines, ["uptime"]);
        assert_eq!(echo, b"uptime\r\n");
    }

    #[test]
    fn ctrl_u_clears_and_ctrl_c_abandons() {
        let (lines, _) = run(b"garbage\x15help\nhalf\x03");
        assert_eq!(lines, ["help", ""]);
    }

    #[test]
    fn long_lines_are_capped() {
        let mut input = std::vec![b'a'; MAX_LINE + 10];
        input.push(b'\n');
        let (lines, echo) = run(&input);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(echo.iter().filter(|&&b| b == 0x07).count(), 10);
    }

    #[test]
    fn non_ascii_bytes_are_dropped() {
        let (lines, _) = run("héllo\n".as_bytes());
        assert_eq!(lines, ["hllo"]);
    }
}

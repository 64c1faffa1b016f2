//! The console service's line editor: turns input bytes into a line and what to echo.

use crate::MAX_PAYLOAD;

/// What the console should do after one input byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Nothing to show (control byte, escape sequence, full line, LF of a CR LF).
    Ignore,
    /// The byte was added to the line: echo it.
    Echo(u8),
    /// The last byte was removed: echo backspace, space, backspace.
    Erase,
    /// The line is complete (CR or LF); [`Editor::line`] holds it.
    Done,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// After ESC.
    Escape,
    /// Inside `ESC [` ... up to a final byte.
    Csi,
}

/// Line editing for READ_LINE: printable bytes and UTF-8 are kept, backspace/DEL erase, CR, LF
/// or CR LF end the line, other control bytes and ANSI escape sequences are dropped.
pub struct Editor {
    line: [u8; MAX_PAYLOAD],
    len: usize,
    max: usize,
    state: State,
    /// Drop an LF at the start: the previous line ended with CR.
    skip_lf: bool,
    ended_with_cr: bool,
}

impl Editor {
    /// An empty line of at most `max` bytes (capped at `MAX_PAYLOAD`); `after_cr` says the
    /// previous line ended with CR, so a leading LF belongs to it.
    pub fn new(max: usize, after_cr: bool) -> Editor {
        let max = max.min(MAX_PAYLOAD);
        Editor { line: [0; MAX_PAYLOAD], len: 0, max, state: State::Text, skip_lf: after_cr, ended_with_cr: false }
    }

    /// Feeds one input byte.
    pub fn feed(&mut self, byte: u8) -> Edit {
        let skip_lf = core::mem::replace(&mut self.skip_lf, false);
        match (self.state, byte) {
            (State::Escape, b'[') => self.state = State::Csi,
            (State::Escape, _) => self.state = State::Text,
            (State::Csi, 0x40..=0x7e) => self.state = State::Text,
            (State::Csi, _) => {}
            (State::Text, b'\n') if skip_lf => {}
            (State::Text, b'\r' | b'\n') => {
                self.ended_with_cr = byte == b'\r';
                return Edit::Done;
            }
            (State::Text, 0x08 | 0x7f) if self.len > 0 => {
                self.len -= 1;
                return Edit::Erase;
            }
            (State::Text, 0x1b) => self.state = State::Escape,
            (State::Text, 0x20..=0x7e | 0x80..=0xff) if self.len < self.max => {
                self.line[self.len] = byte;
                self.len += 1;
                return Edit::Echo(byte);
            }
            (State::Text, _) => {}
        }
        Edit::Ignore
    }

    /// The line so far (complete after [`Edit::Done`]).
    pub fn line(&self) -> &[u8] {
        &self.line[..self.len]
    }

    /// Whether the completed line ended with CR (pass to the next line's [`Editor::new`]).
    pub fn ended_with_cr(&self) -> bool {
        self.ended_with_cr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_in(editor: &mut Editor, input: &[u8]) -> Vec<Edit> {
        input.iter().map(|&b| editor.feed(b)).collect()
    }

    #[test]
    fn edits_and_ends() {
        let mut ed = Editor::new(100, false);
        let edits = type_in(&mut ed, b"ab\x7fc\r");
        assert_eq!(edits, [Edit::Echo(b'a'), Edit::Echo(b'b'), Edit::Erase, Edit::Echo(b'c'), Edit::Done]);
        assert_eq!(ed.line(), b"ac");
        assert!(ed.ended_with_cr());
    }

    #[test]
    fn crlf_is_one_line_end() {
        let mut ed = Editor::new(100, true);
        assert_eq!(type_in(&mut ed, b"\nx\n"), [Edit::Ignore, Edit::Echo(b'x'), Edit::Done]);
        assert_eq!(ed.line(), b"x");
        assert!(!ed.ended_with_cr());
        let mut empty = Editor::new(100, false);
        assert_eq!(empty.feed(b'\n'), Edit::Done);
        assert_eq!(empty.line(), b"");
    }

    #[test]
    fn drops_controls_and_escapes() {
        let mut ed = Editor::new(100, false);
        let edits = type_in(&mut ed, b"\x08\x01a\x1b[1;5Ab\x1bOc");
        assert_eq!(ed.line(), b"abc");
        assert_eq!(edits.iter().filter(|e| matches!(e, Edit::Echo(_))).count(), 3);
        assert_eq!(edits[0], Edit::Ignore, "backspace on an empty line");
        // UTF-8 passes through.
        type_in(&mut ed, "é".as_bytes());
        assert_eq!(ed.line(), "abcé".as_bytes());
    }

    #[test]
    fn stops_at_max() {
        let mut ed = Editor::new(2, false);
        assert_eq!(type_in(&mut ed, b"abc\n"), [Edit::Echo(b'a'), Edit::Echo(b'b'), Edit::Ignore, Edit::Done]);
        assert_eq!(Editor::new(usize::MAX, false).max, MAX_PAYLOAD);
    }
}

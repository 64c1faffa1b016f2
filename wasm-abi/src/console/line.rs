//! `Line`: builds one console message from text, integers and errors without `core::fmt`.

use crate::{Error, Message};

/// A message to the console under construction. Text past `MAX_PAYLOAD` bytes is dropped.
pub struct Line {
    msg: Message,
}

impl Default for Line {
    fn default() -> Line {
        Line::new()
    }
}

impl Line {
    pub fn new() -> Line {
        Line { msg: Message::new(super::WRITE) }
    }

    /// Appends text.
    pub fn str(&mut self, text: &str) -> &mut Line {
        self.bytes(text.as_bytes())
    }

    /// Appends raw bytes (as much as fits).
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Line {
        let room = crate::MAX_PAYLOAD - self.msg.payload().len();
        let _ = self.msg.push(&bytes[..bytes.len().min(room)]);
        self
    }

    /// Appends an integer in decimal.
    pub fn int<I: itoa::Integer>(&mut self, value: I) -> &mut Line {
        self.str(itoa::Buffer::new().format(value))
    }

    /// Appends an error as `NAME (code)`, e.g. `DENIED (-5)`.
    pub fn error(&mut self, error: Error) -> &mut Line {
        self.str(error.name()).str(" (").int(error.code()).str(")")
    }

    /// The text so far.
    pub fn text(&self) -> &[u8] {
        self.msg.payload()
    }

    /// The WRITE message to send.
    pub fn message(&mut self) -> &mut Message {
        &mut self.msg
    }

    /// Sends the line, with a line end, to the console service; errors are ignored like
    /// [`print`](super::print)'s.
    #[cfg(target_arch = "wasm32")]
    pub fn print(&mut self) {
        self.str("\n");
        let _ = super::client::send(&mut self.msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_text() {
        let mut line = Line::new();
        line.str("denied: ").error(Error::Denied).str(" after ").int(12u32).str(" tries, ").int(-7i64);
        assert_eq!(line.text(), b"denied: DENIED (-5) after 12 tries, -7");
        assert_eq!(line.message().kind(), super::super::WRITE);
    }

    #[test]
    fn truncates_at_max_payload() {
        let mut line = Line::new();
        line.bytes(&[b'a'; 4000]).bytes(&[b'b'; 100]).str("c");
        assert_eq!(line.text().len(), crate::MAX_PAYLOAD);
        assert_eq!(line.text()[3999..4001], *b"ab");
    }
}

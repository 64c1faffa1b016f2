//! The message: a 16-byte little-endian header and up to 4080 payload bytes, 8-byte aligned.

use crate::{Error, TaskId};

/// Size of the header in bytes (`kind`, `len`, `sender`, `flags`).
pub const HEADER_SIZE: usize = 16;
/// Size of a whole message buffer: `ipc_call` and `ipc_recv` need this much room at `msg_ptr`.
pub const MSG_SIZE: usize = 4096;
/// The largest payload, in bytes.
pub const MAX_PAYLOAD: usize = MSG_SIZE - HEADER_SIZE;

/// The header as it lies in linear memory (offsets 0, 4, 8, 12; little-endian).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Message kind, defined by the service the message goes to (offset 0).
    pub kind: u32,
    /// Payload length in bytes (offset 4); must not exceed [`MAX_PAYLOAD`].
    pub len: u32,
    /// Sender's task id, written by the kernel on delivery and ignored on send (offset 8).
    pub sender: i32,
    /// Reserved, 0 (offset 12).
    pub flags: u32,
}

impl Header {
    /// Reads a header from its 16 wire bytes.
    #[inline]
    pub fn decode(bytes: &[u8; HEADER_SIZE]) -> Header {
        let word = |i: usize| [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]];
        Header {
            kind: u32::from_le_bytes(word(0)),
            len: u32::from_le_bytes(word(4)),
            sender: i32::from_le_bytes(word(8)),
            flags: u32::from_le_bytes(word(12)),
        }
    }

    /// The 16 wire bytes of this header.
    #[inline]
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut bytes = [0; HEADER_SIZE];
        bytes[0..4].copy_from_slice(&self.kind.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.len.to_le_bytes());
        bytes[8..12].copy_from_slice(&self.sender.to_le_bytes());
        bytes[12..16].copy_from_slice(&self.flags.to_le_bytes());
        bytes
    }

    /// The payload length, or [`Error::TooLarge`] past [`MAX_PAYLOAD`]: what the kernel checks
    /// before copying `HEADER_SIZE + len` bytes.
    #[inline]
    pub fn payload_len(&self) -> Result<usize, Error> {
        let len = self.len as usize;
        if len <= MAX_PAYLOAD { Ok(len) } else { Err(Error::TooLarge) }
    }
}

/// A whole message buffer with the wire layout (the target is little-endian on both sides).
#[derive(Clone)]
#[repr(C, align(8))]
pub struct Message {
    pub(crate) kind: u32,
    pub(crate) len: u32,
    sender: i32,
    pub(crate) flags: u32,
    payload: [u8; MAX_PAYLOAD],
}

impl Message {
    /// An empty message of `kind`.
    pub const fn new(kind: u32) -> Message {
        Message { kind, len: 0, sender: 0, flags: 0, payload: [0; MAX_PAYLOAD] }
    }

    /// A message of `kind` carrying `payload`.
    pub fn with_payload(kind: u32, payload: &[u8]) -> Result<Message, Error> {
        let mut msg = Message::new(kind);
        msg.set_payload(payload)?;
        Ok(msg)
    }

    pub fn kind(&self) -> u32 {
        self.kind
    }

    /// Changes the kind and keeps the payload (to forward a request, or answer in place).
    pub fn set_kind(&mut self, kind: u32) {
        self.kind = kind;
    }

    /// Marks this message, about to be passed to `ipc_reply`, as an error reply: the caller's
    /// `ipc_call` returns `error` and its buffer is left as it sent it. Cleared by [`Message::reset`].
    pub fn set_error(&mut self, error: Error) {
        self.flags = error.code() as u32;
    }

    /// The error an `ipc_reply` of this message reports, if [`Message::set_error`] marked it.
    pub fn error(&self) -> Option<Error> {
        Error::from_code(self.flags as i32)
    }

    /// Records the sender (the kernel writes it on delivery; the direct path sets it here).
    pub(crate) fn set_sender(&mut self, sender: TaskId) {
        self.sender = sender.get();
    }

    /// The header fields as they are now.
    pub fn header(&self) -> Header {
        Header { kind: self.kind, len: self.len, sender: self.sender, flags: self.flags }
    }

    /// The sender of a received message (`None` before delivery).
    pub fn sender(&self) -> Option<TaskId> {
        TaskId::new(self.sender)
    }

    /// Turns this buffer into an empty message of `kind` (the payload bytes stay, unused).
    pub fn reset(&mut self, kind: u32) {
        self.kind = kind;
        self.len = 0;
        self.flags = 0;
    }

    /// The payload: the first `len` bytes (clamped to [`MAX_PAYLOAD`] should `len` be corrupt).
    pub fn payload(&self) -> &[u8] {
        &self.payload[..(self.len as usize).min(MAX_PAYLOAD)]
    }

    /// Replaces the payload with `bytes`.
    pub fn set_payload(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.len = 0;
        self.push(bytes)
    }

    /// Appends `bytes` to the payload.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let start = self.payload().len();
        let end = start.checked_add(bytes.len()).filter(|&end| end <= MAX_PAYLOAD).ok_or(Error::TooLarge)?;
        self.payload[start..end].copy_from_slice(bytes);
        self.len = end as u32;
        Ok(())
    }

    /// The whole payload area, to fill in place before [`Message::set_len`].
    pub fn payload_area(&mut self) -> &mut [u8; MAX_PAYLOAD] {
        &mut self.payload
    }

    /// Sets the payload length after writing through [`Message::payload_area`].
    pub fn set_len(&mut self, len: usize) -> Result<(), Error> {
        if len > MAX_PAYLOAD {
            return Err(Error::TooLarge);
        }
        self.len = len as u32;
        Ok(())
    }

    /// The little-endian `u32` at payload offset `at`, if the payload is long enough.
    pub fn u32_at(&self, at: usize) -> Option<u32> {
        let bytes = self.payload().get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    }

    /// The little-endian `u64` at payload offset `at`, if the payload is long enough.
    pub fn u64_at(&self, at: usize) -> Option<u64> {
        let bytes = self.payload().get(at..at.checked_add(8)?)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn layout_matches_the_wire() {
        assert_eq!(size_of::<Message>(), MSG_SIZE);
        assert_eq!(align_of::<Message>(), 8);
        assert_eq!(offset_of!(Message, kind), 0);
        assert_eq!(offset_of!(Message, len), 4);
        assert_eq!(offset_of!(Message, sender), 8);
        assert_eq!(offset_of!(Message, flags), 12);
        assert_eq!(offset_of!(Message, payload), HEADER_SIZE);
        assert_eq!(MAX_PAYLOAD, 4080);
    }

    #[test]
    fn header_bytes() {
        let header = Header { kind: 0x0403_0201, len: 5, sender: -2, flags: 0 };
        let bytes = header.encode();
        assert_eq!(bytes, [1, 2, 3, 4, 5, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(Header::decode(&bytes), header);
        assert_eq!(header.payload_len(), Ok(5));
        assert_eq!(Header { len: 4081, ..header }.payload_len(), Err(Error::TooLarge));
        assert_eq!(Header { len: u32::MAX, ..header }.payload_len(), Err(Error::TooLarge));
    }

    #[test]
    fn payload_limits() {
        let mut msg = Message::with_payload(7, b"abc").unwrap();
        assert_eq!((msg.kind(), msg.payload()), (7, &b"abc"[..]));
        msg.push(b"de").unwrap();
        assert_eq!(msg.payload(), b"abcde");
        assert_eq!(msg.header().len, 5);
        assert_eq!(msg.set_payload(&[1; MAX_PAYLOAD + 1]), Err(Error::TooLarge));
        assert_eq!(msg.payload(), b"");
        msg.set_payload(&[9; MAX_PAYLOAD]).unwrap();
        assert_eq!(msg.push(b"x"), Err(Error::TooLarge));
        assert_eq!(msg.payload().len(), MAX_PAYLOAD);
        assert_eq!(msg.set_len(MAX_PAYLOAD + 1), Err(Error::TooLarge));
        msg.set_error(Error::Denied);
        assert_eq!((msg.error(), msg.header().flags), (Some(Error::Denied), (-5i32) as u32));
        msg.reset(3);
        assert_eq!((msg.kind(), msg.payload().len(), msg.sender(), msg.error()), (3, 0, None, None));
    }

    #[test]
    fn corrupt_len_is_clamped() {
        let mut msg = Message::new(1);
        msg.len = u32::MAX; // as a buggy kernel might leave it
        assert_eq!(msg.payload().len(), MAX_PAYLOAD);
    }

    #[test]
    fn integers() {
        let mut msg = Message::new(0);
        msg.set_payload(&0x1122_3344_5566_7788u64.to_le_bytes()).unwrap();
        assert_eq!(msg.u64_at(0), Some(0x1122_3344_5566_7788));
        assert_eq!(msg.u32_at(4), Some(0x1122_3344));
        assert_eq!(msg.u32_at(5), None);
        assert_eq!(msg.u64_at(usize::MAX), None);
    }
}

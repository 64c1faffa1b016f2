//! Message checks and copies between two linear memories. Every pointer and length is checked
//! against the owning memory before a byte moves; only `16 + len` bytes are copied, directly from
//! one memory into the other, with the header's `sender` written by the kernel.
use hayabusa_abi::{Error, HEADER_SIZE, Header, MAX_PAYLOAD, MSG_SIZE};

use super::TaskId;

/// The header at `ptr`, after checking it lies in `mem` and is 8-byte aligned.
#[inline]
fn header_at(mem: &[u8], ptr: u32) -> Result<Header, Error> {
    let start = ptr as usize;
    if start % 8 != 0 {
        return Err(Error::BadPointer);
    }
    let bytes = mem.get(start..start + HEADER_SIZE).ok_or(Error::BadPointer)?;
    Ok(Header::decode(bytes.try_into().expect("16 bytes")))
}

/// Checks a buffer passed to `ipc_call` or `ipc_recv`: 8-aligned, with room for a whole
/// `MSG_SIZE` message inside `mem` (a reply or incoming message may be that large).
#[inline]
pub fn check_buffer(mem: &[u8], ptr: u32) -> Result<(), Error> {
    let start = ptr as usize;
    if start % 8 != 0 || start.checked_add(MSG_SIZE).is_none_or(|end| end > mem.len()) {
        return Err(Error::BadPointer);
    }
    Ok(())
}

/// Checks the request at `ptr` (the caller's `ipc_call` buffer): buffer room, `len`, `flags` 0.
#[inline]
pub fn check_request(mem: &[u8], ptr: u32) -> Result<Header, Error> {
    check_buffer(mem, ptr)?;
    let header = header_at(mem, ptr)?;
    header.payload_len()?;
    if header.flags != 0 {
        return Err(Error::BadArgument);
    }
    Ok(header)
}

/// What a reply says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// An ordinary reply with this header, to be copied to the caller.
    Message(Header),
    /// An error reply: the caller's `ipc_call` returns this error and nothing is copied.
    Error(Error),
}

/// Checks the reply at `ptr` (`ipc_reply`, or a direct-path buffer after the handler): only
/// `16 + len` bytes need to be in memory; a negative `flags` is an error reply.
#[inline]
pub fn check_reply(mem: &[u8], ptr: u32) -> Result<Reply, Error> {
    let header = header_at(mem, ptr)?;
    let flags = header.flags as i32;
    if flags < 0 {
        return Ok(Reply::Error(Error::from_code(flags).unwrap_or(Error::Unknown)));
    }
    if flags > 0 {
        return Err(Error::BadArgument);
    }
    let len = header.payload_len()?;
    let end = (ptr as usize).checked_add(HEADER_SIZE + len).ok_or(Error::BadPointer)?;
    if end > mem.len() {
        return Err(Error::BadPointer);
    }
    Ok(Reply::Message(header))
}

/// Copies a message already checked at `src_ptr` in `src` (header `header`) to `dst_ptr` in
/// `dst`, writing `sender` and `flags = 0`. `dst` must have been checked with
/// [`check_buffer`], or have room for `16 + len` bytes (checked again here).
#[inline]
pub fn deliver(src: &[u8], src_ptr: u32, header: Header, dst: &mut [u8], dst_ptr: u32, sender: TaskId) -> Result<(), Error> {
    let len = header.payload_len()?;
    debug_assert!(len <= MAX_PAYLOAD);
    let (s, d) = (src_ptr as usize, dst_ptr as usize);
    let payload = src.get(s + HEADER_SIZE..s + HEADER_SIZE + len).ok_or(Error::BadPointer)?;
    let out = dst.get_mut(d..d + HEADER_SIZE + len).ok_or(Error::BadPointer)?;
    let delivered = Header { kind: header.kind, len: header.len, sender, flags: 0 };
    out[..HEADER_SIZE].copy_from_slice(&delivered.encode());
    // An empty payload (the common small request) costs no call to `memcpy`.
    if len > 0 {
        out[HEADER_SIZE..].copy_from_slice(payload);
    }
    Ok(())
}

/// Reads the UTF-8 name of `len` bytes at `ptr` (`ipc_lookup`, REGISTER): 1–32 bytes.
pub fn read_name(mem: &[u8], ptr: u32, len: u32) -> Result<&str, Error> {
    if len == 0 || len as usize > hayabusa_abi::MAX_NAME {
        return Err(Error::BadArgument);
    }
    let bytes = mem.get(ptr as usize..ptr as usize + len as usize).ok_or(Error::BadPointer)?;
    core::str::from_utf8(bytes).map_err(|_| Error::BadArgument)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    fn put(mem: &mut [u8], at: usize, h: Header, payload: &[u8]) {
        mem[at..at + 16].copy_from_slice(&h.encode());
        mem[at + 16..at + 16 + payload.len()].copy_from_slice(payload);
    }

    #[test]
    fn request_checks_in_abi_order() {
        let mut mem = vec![0u8; 3 * 4096];
        put(&mut mem, 8, Header { kind: 7, len: 3, sender: 99, flags: 0 }, b"abc");
        assert_eq!(check_request(&mem, 8).unwrap().len, 3);
        assert_eq!(check_request(&mem, 12), Err(Error::BadPointer), "misaligned");
        assert_eq!(check_request(&mem, (3 * 4096 - 4096 + 8) as u32), Err(Error::BadPointer), "no room for a whole message");
        assert_eq!(check_request(&mem, u32::MAX - 7), Err(Error::BadPointer), "wraps");
        put(&mut mem, 16, Header { kind: 1, len: 4081, sender: 0, flags: 0 }, b"");
        assert_eq!(check_request(&mem, 16), Err(Error::TooLarge));
        put(&mut mem, 24, Header { kind: 1, len: 0, sender: 0, flags: 1 }, b"");
        assert_eq!(check_request(&mem, 24), Err(Error::BadArgument));
    }

    #[test]
    fn deliver_copies_only_the_message_and_sets_sender() {
        let mut src = vec![0u8; 8192];
        put(&mut src, 64, Header { kind: 5, len: 4, sender: -3, flags: 0 }, b"ping");
        let header = check_request(&src, 64).unwrap();
        let mut dst = vec![0xaa; 8192];
        deliver(&src, 64, header, &mut dst, 1024, 42).unwrap();
        assert_eq!(Header::decode(dst[1024..1040].try_into().unwrap()), Header { kind: 5, len: 4, sender: 42, flags: 0 });
        assert_eq!(&dst[1040..1044], b"ping");
        assert_eq!(dst[1044], 0xaa, "nothing past 16 + len is written");
        assert_eq!(dst[1023], 0xaa);
        assert_eq!(deliver(&src, 64, header, &mut dst, 8190, 42), Err(Error::BadPointer), "destination too small");
    }

    #[test]
    fn replies_need_only_their_own_bytes_and_may_carry_errors() {
        let mut mem = vec![0u8; 100];
        put(&mut mem, 8, Header { kind: 1, len: 10, sender: 0, flags: 0 }, b"0123456789");
        assert!(matches!(check_reply(&mem, 8), Ok(Reply::Message(h)) if h.len == 10));
        put(&mut mem, 64, Header { kind: 1, len: 30, sender: 0, flags: 0 }, b"");
        assert_eq!(check_reply(&mem, 64), Err(Error::BadPointer), "payload past the end of memory");
        put(&mut mem, 32, Header { kind: 1, len: 5000, sender: 0, flags: Error::Denied.code() as u32 }, b"");
        assert_eq!(check_reply(&mem, 32), Ok(Reply::Error(Error::Denied)), "error replies ignore len");
        put(&mut mem, 48, Header { kind: 1, len: 0, sender: 0, flags: 3 }, b"");
        assert_eq!(check_reply(&mem, 48), Err(Error::BadArgument));
    }

    #[test]
    fn names() {
        let mem = b"consolepingpong\xff".to_vec();
        assert_eq!(read_name(&mem, 0, 7), Ok("console"));
        assert_eq!(read_name(&mem, 0, 0), Err(Error::BadArgument));
        assert_eq!(read_name(&mem, 0, 33), Err(Error::BadArgument));
        assert_eq!(read_name(&mem, 10, 7), Err(Error::BadPointer));
        assert_eq!(read_name(&mem, 15, 1), Err(Error::BadArgument), "not UTF-8");
    }
}

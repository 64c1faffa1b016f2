//! ABI error codes: `0` is success, each negative number one error.

use core::fmt;

/// The status every IPC call returns on success.
pub const OK: i32 = 0;

/// An error returned by an IPC call or a server, as a fixed negative code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Error {
    /// A pointer or pointer + length lies outside the caller's linear memory (or is misaligned).
    BadPointer = -1,
    /// A message's `len` exceeds [`MAX_PAYLOAD`](crate::MAX_PAYLOAD).
    TooLarge = -2,
    /// No live task has this id.
    NoSuchTask = -3,
    /// No service is registered under this name.
    NotFound = -4,
    /// The caller's manifest does not allow this service, task or kernel request.
    Denied = -5,
    /// `ipc_reply` to a task that is not blocked in a call to the replier.
    NotWaiting = -6,
    /// A task called itself.
    CallSelf = -7,
    /// The server trapped or was killed before replying.
    PeerDied = -8,
    /// An argument is malformed (empty or too long name, unknown request kind, bad payload).
    BadArgument = -9,
    /// The resource is taken (a service name already registered, a server re-entered).
    Busy = -10,
    /// The request is valid but not implemented by this kernel or server.
    Unsupported = -11,
    /// The server's answer was malformed (a bad reply header, a positive handler result) or
    /// carried an error only the kernel may give ([`Error::is_kernel_only`]): the kernel does not
    /// let a server speak for it.
    BadReply = -12,
    /// A non-blocking request could not be done now (a socket with no data, no room to send,
    /// no pending connection: the `tcpip` service, docs/abi.md).
    WouldBlock = -13,
    /// A connection could not be made: refused, or the address cannot be reached.
    Refused = -14,
    /// The connection was reset or broke; the socket is good only for CLOSE.
    Reset = -15,
    /// A negative code this version of the ABI does not know.
    Unknown = i32::MIN,
}

impl Error {
    /// Every known error, in code order.
    pub const ALL: [Error; 15] = [
        Error::BadPointer,
        Error::TooLarge,
        Error::NoSuchTask,
        Error::NotFound,
        Error::Denied,
        Error::NotWaiting,
        Error::CallSelf,
        Error::PeerDied,
        Error::BadArgument,
        Error::Busy,
        Error::Unsupported,
        Error::BadReply,
        Error::WouldBlock,
        Error::Refused,
        Error::Reset,
    ];

    /// Errors that describe the call itself, which only the kernel gives: a server that answers
    /// with one of them makes its caller's `ipc_call` fail with [`Error::BadReply`] instead, so
    /// a caller can trust them (e.g. look a server up again after `PEER_DIED`).
    #[inline]
    pub const fn is_kernel_only(self) -> bool {
        matches!(
            self,
            Error::BadPointer
                | Error::NoSuchTask
                | Error::Denied
                | Error::NotWaiting
                | Error::CallSelf
                | Error::PeerDied
                | Error::BadReply
        )
    }

    /// The error a caller gets for a server's error `code` (a handler's negative result or an
    /// error reply's `flags`): the code itself, unless it is kernel-only ([`Error::BadReply`]
    /// then); an unknown negative code is [`Error::Unknown`].
    #[inline]
    pub fn from_server(code: i32) -> Error {
        match Error::from_code(code) {
            Some(e) if !e.is_kernel_only() => e,
            Some(_) => Error::BadReply,
            None => Error::BadReply,
        }
    }

    /// The error for a negative `code`; [`Error::Unknown`] for codes not in [`Error::ALL`].
    /// Success codes (`>= 0`) are not errors: they map to `None`.
    #[inline]
    pub fn from_code(code: i32) -> Option<Error> {
        if code >= 0 {
            return None;
        }
        Some(Error::ALL.iter().copied().find(|e| e.code() == code).unwrap_or(Error::Unknown))
    }

    /// The wire value.
    #[inline]
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The constant's name as in `hayabusa.h` without its `HB_E` prefix, e.g. `DENIED`.
    pub const fn name(self) -> &'static str {
        match self {
            Error::BadPointer => "BAD_POINTER",
            Error::TooLarge => "TOO_LARGE",
            Error::NoSuchTask => "NO_SUCH_TASK",
            Error::NotFound => "NOT_FOUND",
            Error::Denied => "DENIED",
            Error::NotWaiting => "NOT_WAITING",
            Error::CallSelf => "CALL_SELF",
            Error::PeerDied => "PEER_DIED",
            Error::BadArgument => "BAD_ARGUMENT",
            Error::Busy => "BUSY",
            Error::Unsupported => "UNSUPPORTED",
            Error::BadReply => "BAD_REPLY",
            Error::WouldBlock => "WOULD_BLOCK",
            Error::Refused => "REFUSED",
            Error::Reset => "RESET",
            Error::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Splits a raw return value: `>= 0` is a result, negative an error.
#[inline]
pub fn decode(code: i32) -> Result<i32, Error> {
    match Error::from_code(code) {
        None => Ok(code),
        Some(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_fixed() {
        let codes: Vec<i32> = Error::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, (1..=15).map(|n| -n).collect::<Vec<_>>());
        assert_eq!(Error::Denied.code(), -5);
        assert_eq!(Error::PeerDied.code(), -8);
    }

    #[test]
    fn round_trip_and_unknown() {
        for e in Error::ALL {
            assert_eq!(Error::from_code(e.code()), Some(e));
            assert_eq!(decode(e.code()), Err(e));
        }
        assert_eq!(Error::from_code(-16), Some(Error::Unknown));
        assert_eq!(Error::from_code(i32::MIN), Some(Error::Unknown));
        assert_eq!(Error::from_code(0), None);
        assert_eq!(decode(0), Ok(0));
        assert_eq!(decode(7), Ok(7));
    }

    #[test]
    fn servers_cannot_give_the_kernels_errors() {
        for e in [Error::BadPointer, Error::NoSuchTask, Error::Denied, Error::NotWaiting, Error::CallSelf, Error::PeerDied, Error::BadReply] {
            assert!(e.is_kernel_only());
            assert_eq!(Error::from_server(e.code()), Error::BadReply, "{e}");
        }
        for e in [Error::TooLarge, Error::NotFound, Error::BadArgument, Error::Busy, Error::Unsupported, Error::WouldBlock, Error::Refused, Error::Reset] {
            assert_eq!(Error::from_server(e.code()), e, "{e}");
        }
        assert_eq!(Error::from_server(-1000), Error::Unknown);
        assert_eq!(Error::from_server(5), Error::BadReply, "not an error code at all");
    }

    #[test]
    fn names() {
        assert_eq!(Error::NotFound.to_string(), "NOT_FOUND");
        assert_eq!(Error::BadArgument.name(), "BAD_ARGUMENT");
        let mut names: Vec<&str> = Error::ALL.iter().map(|e| e.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Error::ALL.len());
    }
}

//! The one error type of the host boot tooling: a message with its context already in it.

use std::fmt;

/// Something went wrong setting up or running a VM; the message says what and where.
pub struct Error(String);

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// An I/O error, prefixed with what was being done (`"reading /x"`).
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Error {
        Error(format!("{context}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

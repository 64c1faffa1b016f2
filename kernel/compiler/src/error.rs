//! The compiler's one error type: what went wrong, of which kind, at which Wasm byte offset.

use alloc::string::{String, ToString};
use core::fmt;

/// Broad class of a compile error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes are not a valid (or not a well-formed) WebAssembly module.
    Invalid,
    /// The module is valid but uses a feature this compiler does not implement.
    Unsupported,
    /// Cranelift rejected the generated code (a compiler bug or an implementation limit).
    Codegen,
    /// Linking the compiled functions failed (an unexpected relocation, a size limit).
    Link,
}

/// A compile error naming the problem and the Wasm byte offset it was found at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Byte offset in the module's binary.
    pub offset: u64,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, offset: impl Offset, message: impl ToString) -> Self {
        Error { kind, offset: offset.to_u64(), message: message.to_string() }
    }

    pub fn unsupported(offset: impl Offset, feature: &str) -> Self {
        Error::new(ErrorKind::Unsupported, offset, alloc::format!("unsupported feature {feature}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::Invalid => "invalid module",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Codegen => "code generation failed",
            ErrorKind::Link => "link failed",
        };
        write!(f, "{kind}: {} (at byte offset {:#x})", self.message, self.offset)
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Error::new(ErrorKind::Invalid, e.offset(), e.message())
    }
}

/// Result alias used across the crate.
pub type Result<T> = core::result::Result<T, Error>;

/// Byte offsets arrive as `u64` (wasmparser) or `usize` (ranges); both convert losslessly.
pub trait Offset {
    fn to_u64(self) -> u64;
}

impl Offset for u64 {
    fn to_u64(self) -> u64 {
        self
    }
}

impl Offset for usize {
    fn to_u64(self) -> u64 {
        self as u64
    }
}

impl Offset for u32 {
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
}

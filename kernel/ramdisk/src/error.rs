//! Everything that can be wrong with an archive, with the byte offset where it was found.

use core::fmt;

/// Why an archive was rejected by [`crate::Archive::parse`] or [`crate::pack`].
///
/// `offset` is always a byte offset from the start of the archive: for table problems it points
/// at the entry's table row, for name problems at the name itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The input ends at `len` bytes but the header or table needs bytes up to `needed`.
    Truncated { len: usize, needed: usize },
    /// The first eight bytes are not `HAYARD01`.
    BadMagic,
    /// The version field (at byte 8) holds a version this reader does not know.
    UnsupportedVersion { version: u32 },
    /// Entry `index`'s name range does not lie inside the archive.
    NameOutOfBounds { index: usize, offset: usize },
    /// Entry `index`'s data range does not lie inside the archive.
    DataOutOfBounds { index: usize, offset: usize },
    /// Entry `index`'s data offset is not a multiple of [`crate::DATA_ALIGN`].
    MisalignedData { index: usize, offset: usize },
    /// Entry `index` has an empty name.
    EmptyName { index: usize, offset: usize },
    /// Entry `index`'s name is longer than [`crate::MAX_NAME_LEN`] bytes.
    NameTooLong { index: usize, offset: usize, len: usize },
    /// Entry `index`'s name is not valid UTF-8 or contains a NUL byte.
    BadName { index: usize, offset: usize },
    /// Entry `index` has the same name as the entry before it.
    DuplicateName { index: usize, offset: usize },
    /// Entry `index`'s name sorts before the previous entry's (names must be strictly increasing).
    Unsorted { index: usize, offset: usize },
    /// Packing: the archive would not fit the format's 32-bit offsets.
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Truncated { len, needed } => {
                write!(f, "truncated: input is {len} bytes, header and table need {needed}")
            }
            Error::BadMagic => write!(f, "bad magic at byte offset 0 (expected \"HAYARD01\")"),
            Error::UnsupportedVersion { version } => {
                write!(f, "unsupported version {version} at byte offset 8")
            }
            Error::NameOutOfBounds { index, offset } => {
                write!(f, "entry {index}: name range out of bounds (table row at byte offset {offset})")
            }
            Error::DataOutOfBounds { index, offset } => {
                write!(f, "entry {index}: data range out of bounds (table row at byte offset {offset})")
            }
            Error::MisalignedData { index, offset } => write!(
                f,
                "entry {index}: data not {}-byte aligned (table row at byte offset {offset})",
                crate::DATA_ALIGN
            ),
            Error::EmptyName { index, offset } => {
                write!(f, "entry {index}: empty name (table row at byte offset {offset})")
            }
            Error::NameTooLong { index, offset, len } => write!(
                f,
                "entry {index}: name is {len} bytes, longer than {} (at byte offset {offset})",
                crate::MAX_NAME_LEN
            ),
            Error::BadName { index, offset } => {
                write!(f, "entry {index}: name is not UTF-8 or contains NUL (at byte offset {offset})")
            }
            Error::DuplicateName { index, offset } => {
                write!(f, "entry {index}: duplicate name (at byte offset {offset})")
            }
            Error::Unsorted { index, offset } => {
                write!(f, "entry {index}: names not in sorted order (at byte offset {offset})")
            }
            Error::TooLarge => write!(f, "archive would exceed 4 GiB (32-bit offsets)"),
        }
    }
}

impl core::error::Error for Error {}

//! Constants of the on-disk layout and bounds-checked little-endian field access.

/// The first eight bytes of every archive.
pub const MAGIC: [u8; 8] = *b"HAYARD01";
/// The format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Size of the header: magic, version, entry count.
pub const HEADER_SIZE: usize = 16;
/// Size of one entry of the table: name offset, name length, data offset, data length.
pub const ENTRY_SIZE: usize = 16;
/// Alignment of every file's data, relative to the start of the archive.
pub const DATA_ALIGN: usize = 16;
/// Longest accepted name, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// Reads the little-endian `u32` at `offset`, or `None` if it does not fit in `bytes`.
pub(crate) fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let end = offset.checked_add(4)?;
    let field: [u8; 4] = bytes.get(offset..end)?.try_into().ok()?;
    Some(u32::from_le_bytes(field))
}

/// The byte range `offset..offset + len`, if it lies inside `bytes`.
pub(crate) fn range(bytes: &[u8], offset: u32, len: u32) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

/// Byte offset of entry `index`'s table row.
pub(crate) fn entry_offset(index: usize) -> Option<usize> {
    index.checked_mul(ENTRY_SIZE)?.checked_add(HEADER_SIZE)
}

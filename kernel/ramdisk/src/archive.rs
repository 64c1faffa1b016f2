//! Reading an archive in place: [`Archive::parse`] validates, then lookups cannot fail.

use crate::error::Error;
use crate::format::{self, DATA_ALIGN, HEADER_SIZE, MAGIC, MAX_NAME_LEN, VERSION};

/// A validated archive borrowed from its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
    len: usize,
}

/// One named file of an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

impl<'a> Archive<'a> {
    /// Checks the whole archive up front: header, table bounds, every name and data range, name
    /// rules and order. Never panics, whatever `bytes` holds.
    pub fn parse(bytes: &'a [u8]) -> Result<Archive<'a>, Error> {
        if bytes.len() < HEADER_SIZE {
            return Err(Error::Truncated { len: bytes.len(), needed: HEADER_SIZE });
        }
        if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            return Err(Error::BadMagic);
        }
        let version = format::read_u32(bytes, 8).unwrap_or(0);
        if version != VERSION {
            return Err(Error::UnsupportedVersion { version });
        }
        let count = format::read_u32(bytes, 12).unwrap_or(0) as usize;
        let table_end = format::entry_offset(count).unwrap_or(usize::MAX);
        if table_end > bytes.len() {
            return Err(Error::Truncated { len: bytes.len(), needed: table_end });
        }
        let archive = Archive { bytes, len: count };
        let mut previous: Option<&str> = None;
        for index in 0..count {
            let entry = archive.check_entry(index)?;
            let offset = format::entry_offset(index).unwrap_or(0);
            match previous.map(|p| p.as_bytes().cmp(entry.name.as_bytes())) {
                Some(core::cmp::Ordering::Equal) => return Err(Error::DuplicateName { index, offset }),
                Some(core::cmp::Ordering::Greater) => return Err(Error::Unsorted { index, offset }),
                _ => {}
            }
            previous = Some(entry.name);
        }
        Ok(archive)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the archive holds no files.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The files in name order.
    pub fn iter(&self) -> Iter<'a> {
        Iter { archive: *self, next: 0 }
    }

    /// The contents of the file called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let mid = low + (high - low) / 2;
            let entry = self.entry(mid)?;
            match entry.name.as_bytes().cmp(name.as_bytes()) {
                core::cmp::Ordering::Equal => return Some(entry.data),
                core::cmp::Ordering::Less => low = mid + 1,
                core::cmp::Ordering::Greater => high = mid,
            }
        }
        None
    }

    /// Entry `index`; `None` only if it is out of range (everything else was checked by `parse`).
    fn entry(&self, index: usize) -> Option<Entry<'a>> {
        if index >= self.len {
            return None;
        }
        self.check_entry(index).ok()
    }

    /// Decodes and validates the table row of entry `index`.
    fn check_entry(&self, index: usize) -> Result<Entry<'a>, Error> {
        let offset = format::entry_offset(index).unwrap_or(usize::MAX);
        let field = |n: usize| format::read_u32(self.bytes, offset.saturating_add(4 * n));
        let bad_table = Error::Truncated { len: self.bytes.len(), needed: offset.saturating_add(16) };
        let (name_off, name_len) = (field(0).ok_or(bad_table)?, field(1).ok_or(bad_table)?);
        let (data_off, data_len) = (field(2).ok_or(bad_table)?, field(3).ok_or(bad_table)?);
        let name_bytes = format::range(self.bytes, name_off, name_len)
            .ok_or(Error::NameOutOfBounds { index, offset })?;
        let name_at = name_off as usize;
        if name_bytes.is_empty() {
            return Err(Error::EmptyName { index, offset });
        }
        if name_bytes.len() > MAX_NAME_LEN {
            return Err(Error::NameTooLong { index, offset: name_at, len: name_bytes.len() });
        }
        let name = core::str::from_utf8(name_bytes).map_err(|_| Error::BadName { index, offset: name_at })?;
        if name.contains('\0') {
            return Err(Error::BadName { index, offset: name_at });
        }
        if !(data_off as usize).is_multiple_of(DATA_ALIGN) {
            return Err(Error::MisalignedData { index, offset });
        }
        let data = format::range(self.bytes, data_off, data_len)
            .ok_or(Error::DataOutOfBounds { index, offset })?;
        Ok(Entry { name, data })
    }
}

/// Iterator over an archive's files, in name order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    archive: Archive<'a>,
    next: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        let entry = self.archive.entry(self.next)?;
        self.next += 1;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.archive.len.saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &Archive<'a> {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

//! Writing an archive on the host (`std` feature).

use std::vec::Vec;

use crate::error::Error;
use crate::format::{DATA_ALIGN, ENTRY_SIZE, HEADER_SIZE, MAGIC, MAX_NAME_LEN, VERSION};

/// Packs `files` (name, contents) into an archive, sorted by name.
///
/// Rejects empty names, names longer than [`MAX_NAME_LEN`] or containing NUL, duplicate names, and
/// archives past 4 GiB. `index` in the error is the position in `files`.
pub fn pack(files: &[(&str, &[u8])]) -> Result<Vec<u8>, Error> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[a].0.as_bytes().cmp(files[b].0.as_bytes()));
    for (position, &index) in order.iter().enumerate() {
        let name = files[index].0;
        if name.is_empty() {
            return Err(Error::EmptyName { index, offset: 0 });
        }
        if name.len() > MAX_NAME_LEN {
            return Err(Error::NameTooLong { index, offset: 0, len: name.len() });
        }
        if name.contains('\0') {
            return Err(Error::BadName { index, offset: 0 });
        }
        if position > 0 && files[order[position - 1]].0 == name {
            return Err(Error::DuplicateName { index, offset: 0 });
        }
    }

    let table_end = HEADER_SIZE + ENTRY_SIZE * files.len();
    let names_len: usize = files.iter().map(|(name, _)| name.len()).sum();
    let mut data_at = (table_end + names_len).next_multiple_of(DATA_ALIGN);
    let mut out = Vec::with_capacity(data_at);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&to_u32(files.len())?.to_le_bytes());
    let mut name_at = table_end;
    for &index in &order {
        let (name, data) = files[index];
        for field in [name_at, name.len(), data_at, data.len()] {
            out.extend_from_slice(&to_u32(field)?.to_le_bytes());
        }
        name_at += name.len();
        data_at = (data_at + data.len()).next_multiple_of(DATA_ALIGN);
    }
    for &index in &order {
        out.extend_from_slice(files[index].0.as_bytes());
    }
    for &index in &order {
        out.resize(out.len().next_multiple_of(DATA_ALIGN), 0);
        out.extend_from_slice(files[index].1);
    }
    out.resize(out.len().next_multiple_of(DATA_ALIGN), 0);
    to_u32(out.len())?;
    Ok(out)
}

fn to_u32(value: usize) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::TooLarge)
}

//! The boot ramdisk format: a flat, read-only archive of named files.
//!
//! The host packs the archive ([`pack`], with the `std` feature) and the bootloader hands it to the
//! kernel as one blob, which the kernel reads in place with [`Archive::parse`] — no allocation, no
//! copies, and every offset checked before the first lookup.
//!
//! # Layout (version 1; all integers little-endian `u32`)
//!
//! | offset            | size        | field                                                  |
//! |-------------------|-------------|--------------------------------------------------------|
//! | 0                 | 8           | magic `HAYARD01`                                       |
//! | 8                 | 4           | format version, `1`                                    |
//! | 12                | 4           | entry count `n`                                        |
//! | 16 + 16·i         | 4           | entry `i`: name offset                                 |
//! | 20 + 16·i         | 4           | entry `i`: name length (1..=[`MAX_NAME_LEN`] bytes)    |
//! | 24 + 16·i         | 4           | entry `i`: data offset (a multiple of [`DATA_ALIGN`])  |
//! | 28 + 16·i         | 4           | entry `i`: data length                                 |
//! | 16 + 16·n         | …           | names (UTF-8, no NUL), then data, each file's data     |
//! |                   |             | padded with zeros to a 16-byte boundary                |
//!
//! Offsets are relative to the start of the archive. Entries are sorted by name (byte order,
//! strictly increasing), so names are unique and [`Archive::get`] is a binary search. Ranges may
//! overlap (the packer never makes them overlap, but a reader does not care). The packer emits
//! exactly this order; a reader accepts any placement that keeps every range inside the archive.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

mod archive;
mod error;
mod format;
#[cfg(feature = "std")]
mod pack;

pub use archive::{Archive, Entry, Iter};
pub use error::Error;
pub use format::{DATA_ALIGN, ENTRY_SIZE, HEADER_SIZE, MAGIC, MAX_NAME_LEN, VERSION};
#[cfg(feature = "std")]
pub use pack::pack;

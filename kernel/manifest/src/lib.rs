//! The boot manifest (`manifest` in the ramdisk): which modules run as tasks, the service each
//! provides, the services each may reach. `no_std`, no allocation: see `docs/abi.md`.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod error;
mod parse;
mod task;

pub use error::{Error, ErrorKind};
pub use parse::{Manifest, valid_name};
pub use task::{BootWord, Ipc, List, Task};

/// The longest task or service name, in bytes (the ABI's limit for service names).
pub const MAX_NAME: usize = 32;
/// The longest file name (the ramdisk's limit).
pub const MAX_FILE: usize = 255;
/// The largest `memory =` (4 GiB, all of Wasm's 32-bit address space).
pub const MAX_MEMORY: u64 = 4 << 30;
/// The largest `tables =` (the runtime's limit for one table).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;
/// The smallest and largest `stack =`.
pub const MIN_STACK: u64 = 128 << 10;
pub const MAX_STACK: u64 = 64 << 20;
/// The devices a `device =` line may grant.
pub const DEVICES: [&str; 2] = ["serial", "virtio-net"];

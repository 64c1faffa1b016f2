//! The Hayabusa program ABI: what a Wasm program sees of the kernel (see `docs/abi.md`).
//!
//! Pure parts (messages, error codes, task ids, names, kind numbers) build on every target, so the
//! kernel can share them and the host can test them. The imports and everything that calls them
//! exist only on `wasm32`.

#![cfg_attr(not(test), no_std)]
#![cfg_attr(target_arch = "wasm32", feature(asm_experimental_arch))]

pub mod console;
mod error;
mod export;
pub mod kernel;
mod message;
pub mod names;
#[cfg(target_arch = "wasm32")]
pub mod device;
pub mod net;
pub mod netdev;
pub mod server;
mod task;

#[cfg(target_arch = "wasm32")]
pub mod bench;
#[cfg(target_arch = "wasm32")]
mod ipc;
#[cfg(target_arch = "wasm32")]
mod panic;
#[cfg(target_arch = "wasm32")]
pub mod probe;
#[cfg(target_arch = "wasm32")]
mod sys;
#[cfg(target_arch = "wasm32")]
pub mod trap;

pub use error::{Error, OK, decode};
pub use message::{HEADER_SIZE, Header, MAX_PAYLOAD, MSG_SIZE, Message};
pub use task::TaskId;

#[cfg(target_arch = "wasm32")]
pub use ipc::{call, call_status, lookup, lookup_waiting, recv, reply};

/// The import module name of the four IPC calls.
pub const IMPORT_MODULE: &str = "hayabusa";

/// The longest service name `ipc_lookup` and REGISTER accept, in bytes.
pub const MAX_NAME: usize = 32;

//! The console service's protocol, its client helpers (`print`) and its line editor.
//!
//! Kinds: [`WRITE`] (payload: bytes to print; empty reply) and [`READ_LINE`] (payload: optional
//! `u32` maximum length; reply payload: one line of input without its line end, echoed as typed).

mod editor;
mod line;

#[cfg(target_arch = "wasm32")]
mod client;

pub use editor::{Edit, Editor};
pub use line::Line;

#[cfg(target_arch = "wasm32")]
pub use client::{print, println, write};

/// Print the payload bytes.
pub const WRITE: u32 = 1;
/// Read one line of input (for the shell).
pub const READ_LINE: u32 = 2;

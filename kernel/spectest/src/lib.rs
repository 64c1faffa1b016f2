//! The spec-suite runner both platforms share. The host parses a `.wast` file and lowers it to a
//! [`Script`] (`hayabusa-compiler-host`'s `spectest::lower`): modules as binary bytes, already
//! reduced where the skip list allows it, values as bits, expectations as patterns. The script
//! runs through [`run_script`] on any `hayabusa-runtime` platform: on Linux for `cargo xtask
//! spectest`, and, carried in the ramdisk in its binary form ([`codec`]), inside the kernel for
//! `cargo xtask spectest --kernel` (console command `spectest`). One executor, one comparison
//! of results, one report format ([`FileReport`]): both runners count the same way.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod ci;
pub mod codec;
pub mod exec;
pub mod expect;
pub mod host_module;
pub mod report;
pub mod script;
pub mod serial;
pub mod skips;

pub use exec::run_script;
pub use report::{FileReport, Outcome};
pub use script::Script;

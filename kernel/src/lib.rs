//! The Hayabusa kernel as a library: everything but the entry point, so that the pure parts
//! (frame bookkeeping, reservations, the console line editor) are unit-tested on the host.
#![no_std]
#![feature(abi_x86_interrupt)]

#[cfg(test)]
extern crate std;

extern crate alloc;

pub mod arch;
pub mod boot;
pub mod console;
pub mod device;
pub mod klog;
pub mod mm;
pub mod notes;
pub mod panic;
pub mod programs;
pub mod ramdisk;
pub mod sched;
pub mod symbols;
pub mod task;
pub mod time;
pub mod wasm;

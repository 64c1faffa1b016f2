//! spin: says so, then loops forever touching memory, until the console's `kill` ends it.

#![no_std]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering};

use hayabusa_abi::console;

hayabusa_abi::main!(main);

/// Iterations so far (a store per iteration, so the loop is not empty).
static SPINS: AtomicU64 = AtomicU64::new(0);

fn main() {
    console::println("spin: spinning until killed");
    loop {
        SPINS.fetch_add(1, Ordering::Relaxed);
    }
}

//! Differential testing: wasm-smith modules (the shared configuration of `hayabusa-smith`) run
//! with seeded random arguments on this compiler and runtime and on wasmi, the reference
//! engine; the two traces must agree call by call: results, trap kind, and the state after each
//! call (a hash of linear memory, exported globals, table sizes). Used by the host test
//! `tests/differential.rs` and by `cargo xtask differential` (`src/main.rs`) for long runs.

#![forbid(unsafe_code)]

mod args;
mod check;
mod ours;
mod reference;
mod trace;

pub use check::{Mismatch, Options, Outcome, Stats, check_seed, run_seeds};
pub use trace::{Event, State, TrapKind, Value};

/// Runs `f` on a thread with room for deep Wasm recursion (256 MiB of stack, of which Wasm may
/// use 64 MiB before it traps with a stack overflow), as the spec runner does.
pub fn run_on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    hayabusa_compiler_host::STACK_BUDGET.store(64 << 20, std::sync::atomic::Ordering::Relaxed);
    std::thread::Builder::new()
        .name("differential".into())
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawning the differential thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

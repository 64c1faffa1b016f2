//! Host (Linux x86-64) platform for `hayabusa-runtime`, and the tools built on it.
//!
//! It maps code executable ([`code`]), reserves guarded linear memories ([`sys`]), turns faults
//! in compiled code into Wasm traps ([`signals`]), calls compiled code through the runtime's
//! entry stub with per-thread entry records ([`enter`]) and ends a killed task's calls as the
//! kernel does ([`cancel`]: owners, `cancel_now`, a signal as the timer tick): together the
//! [`platform::Linux`] implementation of [`hayabusa_runtime::Platform`]. Instances, imports, tables, globals and memories are the
//! runtime's; this crate re-exports them instantiated for Linux. It also holds the `.wast` spec
//! runner ([`spectest`]) used by `cargo xtask spectest`.

pub mod cancel;
pub mod code;
pub mod cpu;
pub mod enter;
pub mod platform;
pub mod signals;
pub mod sys;
pub mod spectest;

pub use hayabusa_runtime::{Trap, Val};
pub use platform::{Linux, STACK_BUDGET};

/// The runtime's types on this platform.
pub type Instance = hayabusa_runtime::Instance<Linux>;
pub type Store = hayabusa_runtime::Store<Linux>;
pub type Extern = hayabusa_runtime::Extern<Linux>;
pub type FuncHandle = hayabusa_runtime::FuncHandle<Linux>;
pub type Memory = hayabusa_runtime::Memory<Linux>;
pub use hayabusa_runtime::{Global, InstantiateError, Table};

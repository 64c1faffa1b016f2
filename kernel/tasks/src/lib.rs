//! Hayabusa's task layer, shared by the kernel and the hosted runner: a task is a module of the
//! manifest, compiled, instantiated with its linear memory and run on a thread of its own; it
//! sees only the four IPC imports ([`imports`]), whose rules live in `hayabusa-ipc`. Everything
//! that depends on the system below — threads, blocking, the clock, output, program files,
//! cancelling running code — comes through one trait, [`System`] ([`system`]), the way
//! `hayabusa-runtime` reaches its platform. The kernel implements it over its scheduler and
//! exception handlers, the hosted runner over Linux threads and signals; both run this code.
//!
//! Life of a task ([`lifecycle`]): [`start`] compiles the module and spawns the thread, which
//! instantiates it, finds the direct-path exports, and calls `_start`. The task ends when
//! `_start` returns, when it traps (here or in its handler on a caller's thread), when it asks
//! the kernel to EXIT, or when it is killed. Ending is cooperative with the landing pad of the
//! entry stub: a killed task's code is abandoned at its next import or tick
//! ([`System::cancel_now`], [`System::kick`]), so every Rust frame of its thread unwinds
//! normally and nothing leaks. The thread then removes the task from the table: its service
//! names are freed, tasks blocked on it are woken with errors, and the report is printed.
//!
//! The table's lock is not taken on the direct path of IPC: a server's [`endpoint`] is claimed
//! with one atomic operation, and a caller finds the endpoints it may call in its own [`links`].
#![no_std]

extern crate alloc;

pub mod bench;
pub mod console;
mod direct;
mod endpoint;
mod imports;
mod info;
mod kernel_requests;
mod lifecycle;
mod links;
mod memory;
pub mod native;
pub mod notify;
pub mod steps;
pub mod system;
mod table;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicU64};

use hayabusa_compiler::CompiledModule;

pub use endpoint::HANDLER_STACK;
pub use hayabusa_ipc::{KERNEL_TASK, TaskId};
pub use info::{ServiceInfo, TaskInfo, list, provider, services};
pub use lifecycle::{uptime_ms, 
    DEFAULT_MEMORY, DEFAULT_TABLE_ELEMENTS, KillError, MAX_FUNCTIONS, MAX_MODULE_BYTES, MAX_TASKS, StartError, TASK_STACK, kill,
    kill_named, start, start_boot_tasks, wait_gone,
};
pub use system::{CompileFailure, System, ThreadId};
pub use table::End;

/// The runtime's types on a system's platform.
pub type Memory<S> = hayabusa_runtime::Memory<<S as System>::P>;
pub type Instance<S> = hayabusa_runtime::Instance<<S as System>::P>;
pub type Store<S> = hayabusa_runtime::Store<<S as System>::P>;
pub type FuncHandle<S> = hayabusa_runtime::FuncHandle<<S as System>::P>;
pub type Extern<S> = hayabusa_runtime::Extern<<S as System>::P>;

/// A lock of the task layer on system `S`.
pub(crate) type Lock<S, T> = lock_api::Mutex<<S as System>::Lock, T>;
pub(crate) type Guard<'a, S, T> = lock_api::MutexGuard<'a, <S as System>::Lock, T>;

/// A compiled program file: its name, how it was optimised, the module, and its compile time
/// in ns.
type Compiled = (&'static str, hayabusa_compiler::OptLevel, Arc<CompiledModule>, u64);

/// Everything the task layer keeps, for one system: each system owns one in a `static`
/// (`State::new` is `const`) and hands it out through [`System::state`].
pub struct State<S: System> {
    table: Lock<S, table::Table<S>>,
    /// Modules compiled so far, by program file, with their compile time in ns: a module is
    /// compiled once and every task started from it shares the result (each instance still
    /// loads its own copy of the code). Bounded by the program files; kept for ever.
    compiled: Lock<S, Vec<Compiled>>,
    /// Bumped, under the table lock, whenever a service name is registered or freed ([`links`]).
    generation: AtomicU64,
    /// The task `bench ipc` is recording (0: none), and when its open batch started.
    bench_task: AtomicI32,
    bench_start: AtomicU64,
    bench: Lock<S, bench::Recording>,
    /// The earliest armed TIMER (ns since start; `u64::MAX`: none), so a system's tick wakes its
    /// notes thread only when one may be due ([`notify::due`]).
    next_timer: AtomicU64,
}

impl<S: System> State<S> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> State<S> {
        State {
            table: lock_api::Mutex::const_new(<S::Lock as lock_api::RawMutex>::INIT, table::Table::new()),
            compiled: lock_api::Mutex::const_new(<S::Lock as lock_api::RawMutex>::INIT, Vec::new()),
            generation: AtomicU64::new(0),
            bench_task: AtomicI32::new(0),
            bench_start: AtomicU64::new(0),
            bench: lock_api::Mutex::const_new(<S::Lock as lock_api::RawMutex>::INIT, bench::Recording::new()),
            next_timer: AtomicU64::new(u64::MAX),
        }
    }
}

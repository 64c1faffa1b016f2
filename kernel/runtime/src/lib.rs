//! Platform-neutral runtime for `hayabusa-compiler` images, shared by the kernel and the host tools.
//!
//! It instantiates compiled modules ([`instance`]): resolves imports (functions of other instances
//! or host functions, [`func`]), creates tables ([`table`]), globals ([`global`]) and linear
//! memories ([`memory`]), fills the vmctx compiled code reads, applies element and data segments,
//! runs the start function, hands out exports, and provides the builtins compiled code calls
//! ([`builtins`]). Everything that depends on the operating system — executable memory, the
//! linear memory reservation, entering compiled code and turning faults into traps, the stack
//! limit — comes through one small trait, [`Platform`] ([`platform`]): the host crate
//! (`hayabusa-compiler-host`) implements it over `mmap` and signals, the kernel over its lazy
//! reservations and exception handlers. Both enter compiled code through one stub ([`stub`]),
//! with one kind of entry record per call ([`entry`]) and one set of rules for ending a killed
//! task's call early ([`cancel`]); a platform adds only where each thread's innermost record
//! lives ([`entry::EntryState`]) and how a running thread is interrupted.
//!
//! # Unsafe code
//! The runtime builds the data structures compiled code reads through raw pointers, so it cannot
//! be free of unsafe. The unsafe blocks sit in a few places, each with a `// SAFETY:` comment:
//! calling compiled code and reaching the callee instance's [`func::Running`] word
//! ([`func::FuncHandle::call`]), the host-function callback that reads the trampoline's value
//! array ([`func`]), builtins finding their instance from the vmctx ([`builtins`]), copying
//! bytes into and out of linear memory ([`memory`]), the entry stub and its landing jump
//! ([`stub`]), the entry records that fault handlers and cancel paths reach through the
//! platform's per-thread pointer, with the owners' kill flags ([`entry`], [`cancel`]), and the cells
//! shared with compiled code ([`vmcell`]: global cells, the `VMTable` and `VMMemory`
//! descriptors, the vmctx), which Wasm writes behind the runtime's back and which may be shared
//! between threads only under the rules below.
//!
//! # Threads
//! Instances, function handles, memories, tables, globals and stores are `Send + Sync` (given a
//! [`Platform`] whose `Code` and `Memory` are, which the trait requires): the kernel runs each Wasm
//! task on its own preemptively scheduled thread, and IPC runs a server's handler on the caller's
//! thread. Sharing is `Arc`; host function bodies are `Send + Sync`. The runtime's own mutable
//! state (the store's instance list, a memory's reservation, a table's element vector, an
//! instance's data and element segments) sits behind `spin::Mutex`es held briefly and never across
//! a call into compiled code, which may call back into the runtime through builtins and host
//! functions. What compiled code reads and writes directly (global cells, the table and memory
//! descriptors, the vmctx: [`vmcell::VmCell`]; table elements; linear memory) cannot be locked:
//! instead one thread at a time runs an instance, and the runtime enforces it.
//!
//! Every instance has a word naming the thread that runs it ([`func::Running`]). The safe calls,
//! [`FuncHandle::call`] and [`FuncHandle::call_raw`], claim it with one compare-and-swap (idle →
//! this thread, named by [`Platform::current_thread`]) before entering the function's instance
//! and release it when the call returns, normally or by a trap; a call from another thread
//! meanwhile is refused before any Wasm code runs, with a [`Trap`] of kind
//! `TrapKind::ConcurrentCall` ("instance already running on another thread"). A call from the
//! thread that holds the instance — a host function calling back into an export of its
//! instance, as Wasm embeddings allow — nests inside the claim. The claim's acquire and release
//! also order one call's writes before the next call on another thread or CPU. So in safe code
//! two threads never both call into one instance at once, on the host as in the kernel.
//!
//! The check is per instance. What it does not cover stays the embedder's rule:
//! - Instances linked to each other. Each instance is claimed alone: a memory, table or global
//!   shared through imports and exports may be reached by two threads running two different
//!   instances, and a call from one instance's code into a function imported from another (or
//!   through a shared table) runs that other instance's code without claiming it. Run a group
//!   of linked instances from one thread at a time. (The kernel links no instances with each
//!   other: a task's instance imports host functions only.) A function handle always checks
//!   the instance whose code it enters, also when taken from an instance that re-exports it.
//! - Host code using the runtime's accessors ([`Memory`], [`Table`], [`Global`]) while another
//!   thread runs code of an instance those objects belong to. A host function on the running
//!   thread may use them.
//! - [`FuncHandle::call_raw_on`], which is unsafe and unchecked (it costs nothing extra): its
//!   caller guarantees the exclusivity instead. The kernel's IPC direct path uses it to run a
//!   server's handler from the caller's thread while the server's own thread holds the
//!   instance, blocked in `ipc_recv`; the endpoint claim keeps everything else out meanwhile.
#![no_std]

extern crate alloc;

pub mod builtins;
pub mod cancel;
pub mod code_map;
pub mod entry;
pub mod func;
pub mod global;
pub mod instance;
pub mod limits;
pub mod memory;
pub mod platform;
pub mod stub;
pub mod table;
pub mod types;
pub mod values;
pub mod vmcell;

pub use func::{FuncHandle, HostFn, RawHostFn, VMLimits};
pub use global::Global;
pub use instance::{Extern, Instance, InstantiateError, Store};
pub use limits::ResourceLimits;
pub use memory::Memory;
pub use platform::{CallStack, Platform};
pub use table::Table;
pub use values::{Trap, Val};

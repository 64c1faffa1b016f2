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
//! reservations and exception handlers.
//!
//! # Unsafe code
//! The runtime builds the data structures compiled code reads through raw pointers, so it cannot
//! be free of unsafe. The unsafe blocks sit in a few places, each with a `// SAFETY:` comment:
//! calling compiled code ([`func::FuncHandle::call`]), the host-function callback that reads the
//! trampoline's value array ([`func`]), builtins finding their instance from the vmctx
//! ([`builtins`]), copying bytes into and out of linear memory ([`memory`]), and the cells
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
//! descriptors, the vmctx: [`vmcell::VmCell`]; table elements; linear memory) cannot be locked: it
//! is reached by one CPU at a time in single aligned words, and the embedder runs one call at a
//! time per instance (and per group of instances sharing a table, memory or global) — the kernel's
//! IPC layer guarantees it.
#![no_std]

extern crate alloc;

pub mod builtins;
pub mod code_map;
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

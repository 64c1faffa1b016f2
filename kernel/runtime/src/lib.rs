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
//! ([`builtins`]), writing the vmctx ([`instance`]), copying bytes into and out of linear memory
//! ([`memory`]), and the cells shared with compiled code (table storage, global cells, the
//! `VMMemory` descriptor), which Wasm writes behind the runtime's back.
#![no_std]

extern crate alloc;

pub mod builtins;
pub mod code_map;
pub mod func;
pub mod global;
pub mod instance;
pub mod memory;
pub mod platform;
pub mod stub;
pub mod table;
pub mod types;
pub mod values;

pub use func::{FuncHandle, HostFn, RawHostFn, VMLimits};
pub use global::Global;
pub use instance::{Extern, Instance, InstantiateError, Store};
pub use memory::Memory;
pub use platform::Platform;
pub use table::Table;
pub use values::{Trap, Val};

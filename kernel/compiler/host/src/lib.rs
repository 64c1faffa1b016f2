//! Host runtime for `hayabusa-compiler` images: the only unsafe part of the Wasm tool chain.
//!
//! It maps code executable ([`code`]), reserves guarded linear memories ([`memory`]), turns
//! faults in compiled code into Wasm traps ([`signals`]), calls compiled code through a small
//! assembly entry stub ([`enter`]), and instantiates modules ([`instance`]): imports, globals,
//! tables, segments, start function. Linux x86-64 only.

pub mod builtins;
pub mod code;
pub mod cpu;
pub mod enter;
pub mod func;
pub mod global;
pub mod instance;
pub mod memory;
pub mod signals;
pub mod sys;
pub mod table;
pub mod types;
pub mod values;
pub mod spectest;

pub use func::FuncHandle;
pub use instance::{Extern, Instance, InstantiateError, Store};
pub use values::{Trap, Val};

//! Running compiled WebAssembly inside the kernel: executable code memory with its trap table,
//! entering compiled code, turning CPU faults in it into Wasm traps, and the `Platform` the
//! shared runtime (`hayabusa-runtime`: instances, imports, tables, memories) runs on.
pub mod code;
pub mod jit;
pub mod platform;
pub mod trap;

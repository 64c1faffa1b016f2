//! Running compiled WebAssembly inside the kernel: executable code memory with its trap table,
//! entering compiled code, and turning CPU faults in it into Wasm traps.
pub mod code;
pub mod instance;
pub mod jit;
pub mod memory;
pub mod trap;

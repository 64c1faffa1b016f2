//! The runtime layout compiled code relies on: vmctx field offsets, builtin functions, trap kinds.
//!
//! This is the one contract between the translator and an embedder (the host runtime, the kernel).

pub mod builtins;
pub mod traps;
pub mod vmctx;

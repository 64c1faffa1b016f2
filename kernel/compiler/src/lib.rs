//! WebAssembly validation and compilation to x86-64 with Cranelift, shared by the kernel and host tools.
//!
//! Pipeline: [`validate`] (wasmparser, Wasm 2.0 with SIMD) → [`module::parse`] (the module's
//! declarations) → [`translate`] (Wasm → CLIF, ours) → [`compile`] (Cranelift x86-64) → [`link`]
//! (one position-independent code image with a trap table). The runtime layout the code expects
//! (vmctx, builtins, trap kinds) is owned by [`env`]. This crate holds no unsafe code: running the
//! image is the embedder's job (see `kernel/compiler/host` for the host runtime).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod compile;
pub mod env;
pub mod dump;
pub mod error;
pub mod isa;
pub mod link;
pub mod module;
pub mod translate;
pub mod trampolines;
pub mod validate;

pub use compile::{BoundsChecks, CompileOptions, CompiledModule, compile};
pub use env::traps::TrapKind;
pub use error::{Error, ErrorKind};
pub use isa::{CpuFeatures, OptLevel};
pub use link::{FuncInfo, Image, TrapSite};
pub use module::{ModuleInfo, Sig, ValType};

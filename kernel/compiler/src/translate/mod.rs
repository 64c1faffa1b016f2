//! Wasm function bodies → Cranelift IR. One file per concern; `ops.rs` is the flat operator match.

mod bounds;
mod calls;
mod control;
mod func;
mod func_env;
mod memory;
mod numeric;
mod ops;
mod simd;
mod simd_lanes;
mod state;
mod tables;
mod variables;

pub use bounds::GUARD_RESERVATION;
pub use func::translate_function;
pub use func_env::{clif_type, wasm_signature};

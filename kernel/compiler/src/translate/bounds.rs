//! Linear-memory address computation and bounds checks.
//!
//! WARNING: heap safety depends on this file. Every Wasm load and store computes its native
//! address here. In [`BoundsChecks::Guard`] mode nothing is checked: the embedder MUST back the
//! memory with a reservation of at least [`GUARD_RESERVATION`] bytes whose inaccessible part faults,
//! because `base + zext(index) + offset` can reach up to 8 GiB past `base`. In
//! [`BoundsChecks::Explicit`] mode every access compares its end against the current length and
//! traps before touching memory. Change nothing here without a test that exercises the edges.

use super::func_env::{FuncEnv, trusted};
use crate::compile::BoundsChecks;
use crate::env::{traps::TrapKind, vmctx};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, condcodes::IntCC, types};
use cranelift_frontend::FunctionBuilder;

/// Bytes of address space a memory needs in guard mode: 4 GiB of index space plus a 4 GiB
/// static-offset range, plus one page for accesses straddling the end.
pub const GUARD_RESERVATION: u64 = (8 << 30) + 0x1_0000;

/// Flags for a Wasm memory access: little-endian, may trap as out-of-bounds.
pub fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(cranelift_codegen::ir::Endianness::Little)
        .with_trap_code(Some(TrapKind::MemoryOutOfBounds.code()))
}

/// Native address of the `size`-byte access at Wasm address `index + offset` of memory `mem`,
/// after whatever check the bounds mode requires. Every memory has its own reservation (guard
/// mode) and its own length (explicit mode).
pub fn heap_addr(env: &FuncEnv, b: &mut FunctionBuilder, mem: u32, index: Value, offset: u64, size: u32) -> Value {
    let index = b.ins().uextend(types::I64, index);
    if env.bounds == BoundsChecks::Explicit {
        let memory = env.memory_ptr(b, mem);
        let length = b.ins().load(types::I64, trusted(), memory, vmctx::memory::LENGTH);
        // offset < 2^32 and index < 2^32, so the sum cannot wrap in 64 bits.
        let end = b.ins().iadd_imm_u(index, (offset + u64::from(size)) as i64);
        let oob = b.ins().icmp(IntCC::UnsignedGreaterThan, end, length);
        b.ins().trapnz(oob, TrapKind::MemoryOutOfBounds.code());
    }
    let base = env.memory_base(b, mem);
    let addr = b.ins().iadd(base, index);
    if offset == 0 { addr } else { b.ins().iadd_imm_u(addr, offset as i64) }
}

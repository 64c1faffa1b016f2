//! Linear memory operators: loads, stores, memory.size/grow/fill/copy/init, data.drop.

use super::bounds::{heap_addr, heap_flags};
use super::func_env::{FuncEnv, trusted};
use super::state::State;
use crate::env::{builtins::Builtin, traps::TrapKind, vmctx};
use cranelift_codegen::ir::{InstBuilder, Type, Value, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, MemArgTarget};

/// How a load widens its value.
#[derive(Clone, Copy)]
pub enum Ext {
    None,
    Zero,
    Sign,
}

/// The memory a load or store names (array targets are GC, refused by validation).
pub fn memory_index(m: &MemArg) -> u32 {
    match m.target {
        MemArgTarget::Memory(i) => i,
        MemArgTarget::Array(_) => unreachable!("validated: GC array accesses are refused"),
    }
}

/// `result_ty.load{bits}{ext}`: loads `bits` bits and widens them to `result_ty`.
pub fn load(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, m: &MemArg, ty: Type, bits: u32, ext: Ext) {
    let index = st.pop();
    let addr = heap_addr(env, b, memory_index(m), index, m.offset, bits / 8);
    let f = heap_flags();
    let v = match (ext, bits) {
        (Ext::None, _) => b.ins().load(ty, f, addr, 0),
        (Ext::Zero, 8) => b.ins().uload8(ty, f, addr, 0),
        (Ext::Sign, 8) => b.ins().sload8(ty, f, addr, 0),
        (Ext::Zero, 16) => b.ins().uload16(ty, f, addr, 0),
        (Ext::Sign, 16) => b.ins().sload16(ty, f, addr, 0),
        (Ext::Zero, _) => b.ins().uload32(f, addr, 0),
        (Ext::Sign, _) => b.ins().sload32(f, addr, 0),
    };
    st.push(v);
}

/// Stores the low `bits` bits of the top value.
pub fn store(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, m: &MemArg, bits: u32) {
    let (index, value) = st.pop2();
    let addr = heap_addr(env, b, memory_index(m), index, m.offset, bits / 8);
    let f = heap_flags();
    let full = b.func.dfg.value_type(value).bits();
    match bits {
        8 => b.ins().istore8(f, value, addr, 0),
        16 => b.ins().istore16(f, value, addr, 0),
        32 if full == 64 => b.ins().istore32(f, value, addr, 0),
        _ => b.ins().store(f, value, addr, 0),
    };
}

fn i32c(b: &mut FunctionBuilder, v: u32) -> Value {
    b.ins().iconst(types::I32, i64::from(v))
}

pub fn size(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, mem: u32) {
    let memory = env.memory_ptr(b, mem);
    let length = b.ins().load(types::I64, trusted(), memory, vmctx::memory::LENGTH);
    let pages = b.ins().ushr_imm_u(length, 16);
    let v = b.ins().ireduce(types::I32, pages);
    st.push(v);
}

fn builtin(env: &mut FuncEnv, b: &mut FunctionBuilder, which: Builtin, args: &[Value]) -> Value {
    env.call_builtin(b, which, args).expect("builtin has a result")
}

pub fn grow(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, mem: u32) {
    let delta = st.pop();
    let m = i32c(b, mem);
    let v = builtin(env, b, Builtin::MemoryGrow, &[m, delta]);
    st.push(v);
}

/// Calls a bulk-memory builtin and traps with out-of-bounds when it reports failure.
fn checked(env: &mut FuncEnv, b: &mut FunctionBuilder, which: Builtin, args: &[Value]) {
    let status = builtin(env, b, which, args);
    b.ins().trapnz(status, TrapKind::MemoryOutOfBounds.code());
}

pub fn fill(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, mem: u32) {
    let (dst, val, len) = st.pop3();
    let m = i32c(b, mem);
    checked(env, b, Builtin::MemoryFill, &[m, dst, val, len]);
}

pub fn copy(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, dst_mem: u32, src_mem: u32) {
    let (dst, src, len) = st.pop3();
    let (d, s) = (i32c(b, dst_mem), i32c(b, src_mem));
    checked(env, b, Builtin::MemoryCopy, &[d, s, dst, src, len]);
}

pub fn init(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, mem: u32, segment: u32) {
    let (dst, src, len) = st.pop3();
    let (m, seg) = (i32c(b, mem), i32c(b, segment));
    checked(env, b, Builtin::MemoryInit, &[m, seg, dst, src, len]);
}

pub fn data_drop(env: &mut FuncEnv, b: &mut FunctionBuilder, segment: u32) {
    let seg = b.ins().iconst(types::I32, i64::from(segment));
    env.call_builtin(b, Builtin::DataDrop, &[seg]);
}

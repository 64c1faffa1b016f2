//! Lane helpers for the SIMD operators: the `v128` ↔ lane-type bitcasts, and the shapes most
//! operators share (lane-wise unary/binary/compare, splat, lane access, memory with lanes).
//!
//! A `v128` is always `I8X16` on the value stack, in locals, globals, block parameters and
//! calls; an operator bitcasts its operands to its own lane type ([`pop`]) and its result back
//! ([`push`]). Vector-to-vector bitcasts cost nothing on x86 (same XMM register).

use super::bounds::{heap_addr, heap_flags};
use super::func_env::FuncEnv;
use super::state::State;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{I8, I8X16, I16, I32};
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Opcode, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::MemArg;

/// Bitcasts between vector types reinterpret the bytes in Wasm's (little-endian) lane order.
fn little() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// `v` as type `ty` (a no-op when it already is).
pub fn cast(b: &mut FunctionBuilder, v: Value, ty: Type) -> Value {
    if b.func.dfg.value_type(v) == ty { v } else { b.ins().bitcast(ty, little(), v) }
}

/// Pops a `v128` and views it as `ty`.
pub fn pop(b: &mut FunctionBuilder, st: &mut State, ty: Type) -> Value {
    let v = st.pop();
    cast(b, v, ty)
}

pub fn pop2(b: &mut FunctionBuilder, st: &mut State, ty: Type) -> (Value, Value) {
    let (x, y) = st.pop2();
    (cast(b, x, ty), cast(b, y, ty))
}

/// Pushes a vector result as the canonical `I8X16`.
pub fn push(b: &mut FunctionBuilder, st: &mut State, v: Value) {
    let v = cast(b, v, I8X16);
    st.push(v);
}

/// The all-zero `v128`.
pub fn zero(b: &mut FunctionBuilder) -> Value {
    vconst(b, I8X16, [0; 16])
}

/// A vector constant of type `ty` from its 16 little-endian bytes.
pub fn vconst(b: &mut FunctionBuilder, ty: Type, bytes: [u8; 16]) -> Value {
    let c = b.func.dfg.constants.insert(ConstantData::from(&bytes[..]));
    b.ins().vconst(ty, c)
}

/// A lane-wise one-operand instruction whose type is the operand's (`ineg`, `fabs`, ...).
pub fn unary(b: &mut FunctionBuilder, st: &mut State, ty: Type, op: Opcode) {
    let x = pop(b, st, ty);
    let (inst, dfg) = b.ins().Unary(op, ty, x);
    let v = dfg.first_result(inst);
    push(b, st, v);
}

/// A lane-wise two-operand instruction whose type is the operands' (`iadd`, `fmin`, ...).
pub fn binary(b: &mut FunctionBuilder, st: &mut State, ty: Type, op: Opcode) {
    let (x, y) = pop2(b, st, ty);
    let (inst, dfg) = b.ins().Binary(op, ty, x, y);
    let v = dfg.first_result(inst);
    push(b, st, v);
}

/// A shift of every lane by an `i32` amount (Cranelift takes it modulo the lane width, as Wasm
/// does).
pub fn shift(b: &mut FunctionBuilder, st: &mut State, ty: Type, op: Opcode) {
    let amount = st.pop();
    let x = pop(b, st, ty);
    let (inst, dfg) = b.ins().Binary(op, ty, x, amount);
    let v = dfg.first_result(inst);
    push(b, st, v);
}

pub fn icmp(b: &mut FunctionBuilder, st: &mut State, ty: Type, cc: IntCC) {
    let (x, y) = pop2(b, st, ty);
    let v = b.ins().icmp(cc, x, y);
    push(b, st, v);
}

pub fn fcmp(b: &mut FunctionBuilder, st: &mut State, ty: Type, cc: FloatCC) {
    let (x, y) = pop2(b, st, ty);
    let v = b.ins().fcmp(cc, x, y);
    push(b, st, v);
}

/// `fNxM.pmin` (`max` false) / `pmax`: `y < x ? y : x` / `x < y ? y : x`, bit patterns kept
/// (NaNs and signed zeros as the spec's pseudo-min/max say).
pub fn pseudo_min_max(b: &mut FunctionBuilder, st: &mut State, ty: Type, max: bool) {
    let (x, y) = pop2(b, st, ty);
    let mask = if max { b.ins().fcmp(FloatCC::LessThan, x, y) } else { b.ins().fcmp(FloatCC::LessThan, y, x) };
    let mask = cast(b, mask, ty);
    let v = b.ins().bitselect(mask, y, x);
    push(b, st, v);
}

/// `TxN.splat`: the scalar on the stack (an `i32` for 8- and 16-bit lanes) in every lane.
pub fn splat(b: &mut FunctionBuilder, st: &mut State, ty: Type) {
    let mut x = st.pop();
    if matches!(ty.lane_type(), I8 | I16) {
        x = b.ins().ireduce(ty.lane_type(), x);
    }
    let v = b.ins().splat(ty, x);
    push(b, st, v);
}

/// How an 8- or 16-bit lane becomes an `i32`.
#[derive(Clone, Copy)]
pub enum Widen {
    None,
    Signed,
    Unsigned,
}

pub fn extract_lane(b: &mut FunctionBuilder, st: &mut State, ty: Type, lane: u8, widen: Widen) {
    let x = pop(b, st, ty);
    let v = b.ins().extractlane(x, lane);
    let v = match widen {
        Widen::None => v,
        Widen::Signed => b.ins().sextend(I32, v),
        Widen::Unsigned => b.ins().uextend(I32, v),
    };
    st.push(v);
}

pub fn replace_lane(b: &mut FunctionBuilder, st: &mut State, ty: Type, lane: u8) {
    let mut x = st.pop();
    if matches!(ty.lane_type(), I8 | I16) {
        x = b.ins().ireduce(ty.lane_type(), x);
    }
    let vector = pop(b, st, ty);
    let v = b.ins().insertlane(vector, x, lane);
    push(b, st, v);
}

/// `i8x16.shuffle`: lanes 0-15 pick from the first operand, 16-31 from the second.
pub fn shuffle(b: &mut FunctionBuilder, st: &mut State, lanes: &[u8; 16]) {
    let (x, y) = pop2(b, st, I8X16);
    let mask = b.func.dfg.immediates.push(ConstantData::from(&lanes[..]));
    let v = b.ins().shuffle(x, y, mask);
    push(b, st, v);
}

/// `v128.any_true`, `TxN.all_true` (as an `i32` 0 or 1).
pub fn reduce_bool(b: &mut FunctionBuilder, st: &mut State, ty: Type, all: bool) {
    let x = pop(b, st, ty);
    let c = if all { b.ins().vall_true(x) } else { b.ins().vany_true(x) };
    let v = b.ins().uextend(I32, c);
    st.push(v);
}

/// `TxN.bitmask`: the top bit of every lane, lane 0 in bit 0.
pub fn bitmask(b: &mut FunctionBuilder, st: &mut State, ty: Type) {
    let x = pop(b, st, ty);
    let v = b.ins().vhigh_bits(I32, x);
    st.push(v);
}

/// How a SIMD memory operator reads or writes.
#[derive(Clone, Copy)]
pub enum Access {
    /// `v128.loadNxM_{s,u}`: 8 bytes, each lane widened (`op` is `Sload8x8`, `Uload16x4`, ...).
    Extend(Opcode),
    /// `v128.loadN_splat`: one lane of type `ty`, in every lane.
    Splat(Type),
    /// `v128.loadN_zero`: one lane of type `ty` in lane 0, the rest zero.
    Zero(Type),
}

/// A load of the shapes in [`Access`]; checks and traps exactly as scalar loads do.
pub fn load(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, m: &MemArg, access: Access) {
    let index = st.pop();
    let f = heap_flags();
    let v = match access {
        Access::Extend(op) => {
            let addr = heap_addr(env, b, index, m.offset, 8);
            match op {
                Opcode::Sload8x8 => b.ins().sload8x8(f, addr, 0),
                Opcode::Uload8x8 => b.ins().uload8x8(f, addr, 0),
                Opcode::Sload16x4 => b.ins().sload16x4(f, addr, 0),
                Opcode::Uload16x4 => b.ins().uload16x4(f, addr, 0),
                Opcode::Sload32x2 => b.ins().sload32x2(f, addr, 0),
                _ => b.ins().uload32x2(f, addr, 0),
            }
        }
        Access::Splat(lane) => {
            let addr = heap_addr(env, b, index, m.offset, lane.bytes());
            let x = b.ins().load(lane, f, addr, 0);
            b.ins().splat(vector_of(lane), x)
        }
        Access::Zero(lane) => {
            let addr = heap_addr(env, b, index, m.offset, lane.bytes());
            let x = b.ins().load(lane, f, addr, 0);
            b.ins().scalar_to_vector(vector_of(lane), x)
        }
    };
    push(b, st, v);
}

/// `v128.loadN_lane`: replaces lane `lane` (of type `lane_ty`) with the value in memory.
pub fn load_lane(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, m: &MemArg, lane_ty: Type, lane: u8) {
    let vector = pop(b, st, vector_of(lane_ty));
    let index = st.pop();
    let addr = heap_addr(env, b, index, m.offset, lane_ty.bytes());
    let x = b.ins().load(lane_ty, heap_flags(), addr, 0);
    let v = b.ins().insertlane(vector, x, lane);
    push(b, st, v);
}

/// `v128.storeN_lane`: stores lane `lane` (of type `lane_ty`).
pub fn store_lane(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, m: &MemArg, lane_ty: Type, lane: u8) {
    let vector = pop(b, st, vector_of(lane_ty));
    let index = st.pop();
    let addr = heap_addr(env, b, index, m.offset, lane_ty.bytes());
    let x = b.ins().extractlane(vector, lane);
    b.ins().store(heap_flags(), x, addr, 0);
}

/// The 128-bit vector type with lanes of `lane`.
pub fn vector_of(lane: Type) -> Type {
    lane.by(128 / lane.bits()).unwrap_or(I8X16)
}

//! Numeric operators: integer and float arithmetic, comparisons, conversions, division checks.

use super::state::State;
use crate::env::traps::TrapKind;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Opcode, Type, Value, types};
use cranelift_frontend::FunctionBuilder;

/// A two-operand instruction whose type is the operands' type.
pub fn binary(b: &mut FunctionBuilder, st: &mut State, op: Opcode) {
    let (x, y) = st.pop2();
    let ty = b.func.dfg.value_type(x);
    let (inst, dfg) = b.ins().Binary(op, ty, x, y);
    let v = dfg.first_result(inst);
    st.push(v);
}

/// A one-operand instruction whose type is the operand's type.
pub fn unary(b: &mut FunctionBuilder, st: &mut State, op: Opcode) {
    let x = st.pop();
    let ty = b.func.dfg.value_type(x);
    let (inst, dfg) = b.ins().Unary(op, ty, x);
    let v = dfg.first_result(inst);
    st.push(v);
}

/// A conversion whose controlling type is the result type `to`.
pub fn convert(b: &mut FunctionBuilder, st: &mut State, op: Opcode, to: Type) {
    let x = st.pop();
    let (inst, dfg) = b.ins().Unary(op, to, x);
    let v = dfg.first_result(inst);
    st.push(v);
}

/// Reinterprets the bits of the top value as type `to`.
pub fn reinterpret(b: &mut FunctionBuilder, st: &mut State, to: Type) {
    let x = st.pop();
    let v = b.ins().bitcast(to, MemFlagsData::new(), x);
    st.push(v);
}

fn bool_to_i32(b: &mut FunctionBuilder, c: Value) -> Value {
    b.ins().uextend(types::I32, c)
}

pub fn icmp(b: &mut FunctionBuilder, st: &mut State, cc: IntCC) {
    let (x, y) = st.pop2();
    let c = b.ins().icmp(cc, x, y);
    let v = bool_to_i32(b, c);
    st.push(v);
}

pub fn eqz(b: &mut FunctionBuilder, st: &mut State) {
    let x = st.pop();
    let c = b.ins().icmp_imm_u(IntCC::Equal, x, 0);
    let v = bool_to_i32(b, c);
    st.push(v);
}

pub fn fcmp(b: &mut FunctionBuilder, st: &mut State, cc: FloatCC) {
    let (x, y) = st.pop2();
    let c = b.ins().fcmp(cc, x, y);
    let v = bool_to_i32(b, c);
    st.push(v);
}

/// `iN.extendM_s`: sign-extends the low `from` bits in place.
pub fn extend_in_place(b: &mut FunctionBuilder, st: &mut State, from: Type) {
    let x = st.pop();
    let ty = b.func.dfg.value_type(x);
    let narrow = b.ins().ireduce(from, x);
    let v = b.ins().sextend(ty, narrow);
    st.push(v);
}

/// Integer division and remainder with Wasm's traps made explicit, so the hardware divide
/// instruction never faults: divide by zero, and signed `MIN / -1` overflow. (`MIN rem -1` is 0,
/// which Cranelift's `srem` already guarantees.)
pub fn div_rem(b: &mut FunctionBuilder, st: &mut State, signed: bool, rem: bool) {
    let (x, y) = st.pop2();
    let ty = b.func.dfg.value_type(x);
    b.ins().trapz(y, TrapKind::IntegerDivideByZero.code());
    if signed && !rem {
        let (min, neg1) = if ty == types::I32 { (0x8000_0000, 0xffff_ffff) } else { (i64::MIN, -1) };
        let min = b.ins().iconst(ty, min);
        let neg1 = b.ins().iconst(ty, neg1);
        let is_min = b.ins().icmp(IntCC::Equal, x, min);
        let is_neg1 = b.ins().icmp(IntCC::Equal, y, neg1);
        let both = b.ins().band(is_min, is_neg1);
        b.ins().trapnz(both, TrapKind::IntegerOverflow.code());
    }
    let v = match (signed, rem) {
        (true, false) => b.ins().sdiv(x, y),
        (false, false) => b.ins().udiv(x, y),
        (true, true) => b.ins().srem(x, y),
        (false, true) => b.ins().urem(x, y),
    };
    st.push(v);
}

pub fn const_i(b: &mut FunctionBuilder, st: &mut State, ty: Type, v: i64) {
    // Cranelift wants narrow immediates zero-extended.
    let v = if ty == types::I32 { i64::from(v as u32) } else { v };
    let v = b.ins().iconst(ty, v);
    st.push(v);
}

pub fn const_f32(b: &mut FunctionBuilder, st: &mut State, bits: u32) {
    let v = b.ins().f32const(cranelift_codegen::ir::immediates::Ieee32::with_bits(bits));
    st.push(v);
}

pub fn const_f64(b: &mut FunctionBuilder, st: &mut State, bits: u64) {
    let v = b.ins().f64const(cranelift_codegen::ir::immediates::Ieee64::with_bits(bits));
    st.push(v);
}

pub fn select(b: &mut FunctionBuilder, st: &mut State) {
    let cond = st.pop();
    let (x, y) = st.pop2();
    let v = b.ins().select(cond, x, y);
    st.push(v);
}

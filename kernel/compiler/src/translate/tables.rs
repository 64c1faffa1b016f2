//! Table and reference operators: table.get/set/size/grow/fill/copy/init, elem.drop, ref.*.

use super::func_env::{FuncEnv, trusted};
use super::state::State;
use crate::env::{builtins::Builtin, traps::TrapKind, vmctx};
use cranelift_codegen::ir::{InstBuilder, Value, condcodes::IntCC, types};
use cranelift_frontend::FunctionBuilder;

/// The `VMTable` pointer of table `table`.
pub fn table_ptr(env: &FuncEnv, b: &mut FunctionBuilder, table: u32) -> Value {
    env.vmctx_array_entry(b, vmctx::TABLES, table)
}

/// Address of element `index` (an i32) of `table`, trapping with `kind` when out of bounds.
pub fn element_addr(env: &FuncEnv, b: &mut FunctionBuilder, table: u32, index: Value, kind: TrapKind) -> Value {
    let t = table_ptr(env, b, table);
    let length = b.ins().load(types::I64, trusted(), t, vmctx::table::LENGTH);
    let index = b.ins().uextend(types::I64, index);
    let oob = b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, length);
    b.ins().trapnz(oob, kind.code());
    let elements = b.ins().load(types::I64, trusted(), t, vmctx::table::ELEMENTS);
    let scaled = b.ins().ishl_imm_u(index, 3);
    b.ins().iadd(elements, scaled)
}

pub fn get(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, table: u32) {
    let index = st.pop();
    let addr = element_addr(env, b, table, index, TrapKind::TableOutOfBounds);
    let v = b.ins().load(types::I64, trusted(), addr, 0);
    st.push(v);
}

pub fn set(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, table: u32) {
    let (index, value) = st.pop2();
    let addr = element_addr(env, b, table, index, TrapKind::TableOutOfBounds);
    b.ins().store(trusted(), value, addr, 0);
}

pub fn size(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, table: u32) {
    let t = table_ptr(env, b, table);
    let length = b.ins().load(types::I64, trusted(), t, vmctx::table::LENGTH);
    let v = b.ins().ireduce(types::I32, length);
    st.push(v);
}

fn i32c(b: &mut FunctionBuilder, v: u32) -> Value {
    b.ins().iconst(types::I32, i64::from(v))
}

pub fn grow(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, table: u32) {
    let (init, delta) = st.pop2();
    let t = i32c(b, table);
    let v = env.call_builtin(b, Builtin::TableGrow, &[t, init, delta]).expect("table.grow result");
    st.push(v);
}

fn checked(env: &mut FuncEnv, b: &mut FunctionBuilder, which: Builtin, args: &[Value]) {
    let status = env.call_builtin(b, which, args).expect("status result");
    b.ins().trapnz(status, TrapKind::TableOutOfBounds.code());
}

pub fn fill(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, table: u32) {
    let (dst, val, len) = st.pop3();
    let t = i32c(b, table);
    checked(env, b, Builtin::TableFill, &[t, dst, val, len]);
}

pub fn copy(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, dst_table: u32, src_table: u32) {
    let (dst, src, len) = st.pop3();
    let (d, s) = (i32c(b, dst_table), i32c(b, src_table));
    checked(env, b, Builtin::TableCopy, &[d, s, dst, src, len]);
}

pub fn init(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, table: u32, segment: u32) {
    let (dst, src, len) = st.pop3();
    let (t, s) = (i32c(b, table), i32c(b, segment));
    checked(env, b, Builtin::TableInit, &[t, s, dst, src, len]);
}

pub fn elem_drop(env: &mut FuncEnv, b: &mut FunctionBuilder, segment: u32) {
    let s = i32c(b, segment);
    env.call_builtin(b, Builtin::ElemDrop, &[s]);
}

pub fn ref_null(b: &mut FunctionBuilder, st: &mut State) {
    let v = b.ins().iconst(types::I64, 0);
    st.push(v);
}

pub fn ref_is_null(b: &mut FunctionBuilder, st: &mut State) {
    let r = st.pop();
    let c = b.ins().icmp_imm_u(IntCC::Equal, r, 0);
    let v = b.ins().uextend(types::I32, c);
    st.push(v);
}

pub fn ref_func(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, func: u32) {
    let v = env.vmctx_array_entry(b, vmctx::FUNCS, func);
    st.push(v);
}

//! Calls: direct calls to local functions, calls to imports, and call_indirect through tables.

use super::func_env::{FuncEnv, trusted};
use super::state::State;
use super::tables::element_addr;
use crate::env::{traps::TrapKind, vmctx};
use alloc::vec::Vec;
use cranelift_codegen::ir::{InstBuilder, Value, condcodes::IntCC, types};
use cranelift_frontend::FunctionBuilder;

fn push_results(b: &mut FunctionBuilder, st: &mut State, inst: cranelift_codegen::ir::Inst) {
    let results: Vec<Value> = b.inst_results(inst).to_vec();
    st.stack.extend(results);
}

/// The code address of a `VMFuncRef`, and its callee vmctx prepended to `args`.
pub fn funcref_target(b: &mut FunctionBuilder, funcref: Value, args: Vec<Value>) -> (Value, Vec<Value>) {
    let code = b.ins().load(types::I64, trusted().with_readonly(), funcref, vmctx::funcref::CODE);
    let callee_vmctx = b.ins().load(types::I64, trusted().with_readonly(), funcref, vmctx::funcref::VMCTX);
    let mut all = alloc::vec![callee_vmctx];
    all.extend(args);
    (code, all)
}

/// Calls through a `VMFuncRef` pointer: loads its code address and callee vmctx.
pub fn call_funcref(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, funcref: Value, type_index: u32, args: Vec<Value>) {
    let (code, all) = funcref_target(b, funcref, args);
    let sig = env.sig_ref(b, type_index);
    let inst = b.ins().call_indirect(sig, code, &all);
    push_results(b, st, inst);
}

pub fn call(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, func: u32) {
    let type_index = env.info.funcs[func as usize];
    let n = env.info.types[type_index as usize].params.len();
    let args = st.pop_n(n);
    if env.info.is_imported_func(func) {
        let funcref = env.vmctx_array_entry(b, vmctx::FUNCS, func);
        call_funcref(env, b, st, funcref, type_index, args);
    } else {
        let callee = env.func_ref(b, func);
        let mut all = alloc::vec![env.vmctx];
        all.extend(args);
        let inst = b.ins().call(callee, &all);
        push_results(b, st, inst);
    }
}

pub fn call_indirect(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, type_index: u32, table: u32) {
    let index = st.pop();
    let n = env.info.types[type_index as usize].params.len();
    let args = st.pop_n(n);
    let funcref = checked_table_funcref(env, b, type_index, table, index);
    call_funcref(env, b, st, funcref, type_index, args);
}

/// The funcref at `index` of `table`, after the checks of `call_indirect`: in bounds, not null,
/// of the canonical signature of `type_index`.
pub fn checked_table_funcref(env: &mut FuncEnv, b: &mut FunctionBuilder, type_index: u32, table: u32, index: Value) -> Value {
    let addr = element_addr(env, b, table, index, TrapKind::UndefinedElement);
    let funcref = b.ins().load(types::I64, trusted(), addr, 0);
    b.ins().trapz(funcref, TrapKind::UninitializedElement.code());
    let actual = b.ins().load(types::I32, trusted().with_readonly(), funcref, vmctx::funcref::TYPE_ID);
    let ids = env.vmctx_field(b, vmctx::TYPE_IDS);
    let expected = b.ins().load(
        types::I32,
        trusted().with_readonly().with_can_move(),
        ids,
        (type_index * 4) as i32,
    );
    let mismatch = b.ins().icmp(IntCC::NotEqual, actual, expected);
    b.ins().trapnz(mismatch, TrapKind::IndirectCallTypeMismatch.code());
    funcref
}

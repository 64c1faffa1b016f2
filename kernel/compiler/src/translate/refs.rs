//! Typed function references: `call_ref`, `return_call_ref`, `ref.as_non_null`, `br_on_null`,
//! `br_on_non_null`. A reference is the same 64-bit word as a `funcref` (0 is null); the static
//! type guarantees the signature, so `call_ref` checks only for null.

use super::calls::call_funcref;
use super::control::{args, branch_to};
use super::func_env::FuncEnv;
use super::state::State;
use super::tail::return_call_funcref;
use crate::env::traps::TrapKind;
use cranelift_codegen::ir::InstBuilder;
use cranelift_frontend::FunctionBuilder;

pub fn call_ref(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, type_index: u32) {
    let funcref = st.pop();
    let n = env.info.types[type_index as usize].params.len();
    let call_args = st.pop_n(n);
    b.ins().trapz(funcref, TrapKind::NullFunctionReference.code());
    call_funcref(env, b, st, funcref, type_index, call_args);
}

pub fn return_call_ref(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, type_index: u32) {
    let funcref = st.pop();
    let n = env.info.types[type_index as usize].params.len();
    let call_args = st.pop_n(n);
    b.ins().trapz(funcref, TrapKind::NullFunctionReference.code());
    return_call_funcref(env, b, funcref, type_index, call_args);
    st.reachable = false;
}

pub fn ref_as_non_null(b: &mut FunctionBuilder, st: &mut State) {
    let r = *st.stack.last().expect("validated: a reference on the stack");
    b.ins().trapz(r, TrapKind::NullReference.code());
}

/// Branches to `depth` when the reference is null (it is dropped); else keeps it.
pub fn br_on_null(b: &mut FunctionBuilder, st: &mut State, depth: u32) {
    let r = st.pop();
    let (target, n) = branch_to(st, depth);
    let values = args(st.peek_n(n));
    let cont = b.create_block();
    b.ins().brif(r, cont, &[], target, &values);
    b.switch_to_block(cont);
    st.push(r);
}

/// Branches to `depth` with the reference when it is not null; else drops it.
pub fn br_on_non_null(b: &mut FunctionBuilder, st: &mut State, depth: u32) {
    let r = *st.stack.last().expect("validated: a reference on the stack");
    let (target, n) = branch_to(st, depth);
    let values = args(st.peek_n(n));
    st.pop();
    let cont = b.create_block();
    b.ins().brif(r, target, &values, cont, &[]);
    b.switch_to_block(cont);
}

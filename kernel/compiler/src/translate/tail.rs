//! Tail calls: `return_call`, `return_call_indirect` (and `return_call_ref` in `refs.rs`).
//!
//! Every Wasm-callable function uses Cranelift's `tail` convention, so a Wasm tail call is a
//! CLIF `return_call`/`return_call_indirect`: the caller's frame is gone before the callee runs,
//! and an endless tail recursion runs in constant stack. A call to an import or through a table
//! reaches another instance's code (or a host trampoline) with that function's own vmctx.

use super::calls::{checked_table_funcref, funcref_target};
use super::func_env::FuncEnv;
use super::state::State;
use crate::env::vmctx;
use alloc::vec::Vec;
use cranelift_codegen::ir::{InstBuilder, Value};
use cranelift_frontend::FunctionBuilder;

fn args_for(env: &FuncEnv, st: &mut State, type_index: u32) -> Vec<Value> {
    let n = env.info.types[type_index as usize].params.len();
    st.pop_n(n)
}

/// Tail-calls through a `VMFuncRef` pointer of module type `type_index`.
pub fn return_call_funcref(env: &mut FuncEnv, b: &mut FunctionBuilder, funcref: Value, type_index: u32, args: Vec<Value>) {
    let (code, all) = funcref_target(b, funcref, args);
    let sig = env.sig_ref(b, type_index);
    b.ins().return_call_indirect(sig, code, &all);
}

pub fn return_call(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, func: u32) {
    let type_index = env.info.funcs[func as usize];
    let args = args_for(env, st, type_index);
    if env.info.is_imported_func(func) {
        let funcref = env.vmctx_array_entry(b, vmctx::FUNCS, func);
        return_call_funcref(env, b, funcref, type_index, args);
    } else {
        let callee = env.func_ref(b, func);
        let mut all = alloc::vec![env.vmctx];
        all.extend(args);
        b.ins().return_call(callee, &all);
    }
    st.reachable = false;
}

pub fn return_call_indirect(env: &mut FuncEnv, b: &mut FunctionBuilder, st: &mut State, type_index: u32, table: u32) {
    let index = st.pop();
    let args = args_for(env, st, type_index);
    let funcref = checked_table_funcref(env, b, type_index, table, index);
    return_call_funcref(env, b, funcref, type_index, args);
    st.reachable = false;
}

//! Locals (Cranelift variables) and globals (cells reached through the vmctx).

use super::func_env::{FuncEnv, clif_type, trusted};
use super::state::State;
use crate::env::vmctx;
use alloc::vec::Vec;
use crate::module::ValType;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData};
use cranelift_frontend::{FunctionBuilder, Variable};

pub struct Locals {
    pub vars: Vec<Variable>,
}

impl Locals {
    pub fn get(&self, b: &mut FunctionBuilder, st: &mut State, index: u32) {
        let v = b.use_var(self.vars[index as usize]);
        st.push(v);
    }

    pub fn set(&self, b: &mut FunctionBuilder, st: &mut State, index: u32) {
        let v = st.pop();
        b.def_var(self.vars[index as usize], v);
    }

    pub fn tee(&self, b: &mut FunctionBuilder, st: &mut State, index: u32) {
        let v = *st.peek_n(1).first().expect("validated: tee operand");
        b.def_var(self.vars[index as usize], v);
    }
}

pub fn global_get(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, index: u32) {
    let desc = &env.info.globals[index as usize];
    let cell = env.vmctx_array_entry(b, vmctx::GLOBALS, index);
    let flags = cell_flags(desc.ty.ty);
    let flags = if desc.ty.mutable { flags } else { flags.with_readonly() };
    let v = b.ins().load(clif_type(desc.ty.ty), flags, cell, 0);
    st.push(v);
}

pub fn global_set(env: &FuncEnv, b: &mut FunctionBuilder, st: &mut State, index: u32) {
    let v = st.pop();
    let cell = env.vmctx_array_entry(b, vmctx::GLOBALS, index);
    b.ins().store(cell_flags(env.info.globals[index as usize].ty.ty), v, cell, 0);
}

/// Flags for a global's cell: a `v128` cell is not assumed 16-byte aligned (the x86 backend
/// would fold an aligned load into an SSE operand that faults on misalignment).
fn cell_flags(ty: ValType) -> MemFlagsData {
    if ty == ValType::V128 { MemFlagsData::new().with_notrap() } else { trusted() }
}

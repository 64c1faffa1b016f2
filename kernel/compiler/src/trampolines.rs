//! Adapter functions between the embedder's uniform calling convention and Wasm signatures.
//!
//! * Entry trampoline, one per module type: `extern "C" fn(callee_code, callee_vmctx, values)`
//!   loads the arguments from `values` (8-byte slots; a `v128` takes two, see
//!   [`crate::ValType::slots`]), calls the Wasm function, stores the results back into the same
//!   slots. Embedders call every Wasm function through one of these.
//! * Host trampoline, one per module type: a Wasm-callable function whose vmctx is a host
//!   context (see [`crate::env::vmctx::host`]); it spills its arguments to a stack array and calls
//!   `callback(host_ctx, values)`, then returns the results the callback wrote there.

use crate::module::{Sig, ValType};
use crate::translate::{clif_type, wasm_signature};
use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    UserFuncName, types,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// Name namespaces of trampolines in CLIF (`u1:N` entry, `u2:N` host), N the module type index.
pub const ENTRY_NAMESPACE: u32 = 1;
pub const HOST_NAMESPACE: u32 = 2;

/// Flags for a value slot of type `t`: never trapping; 8-byte slots are aligned for every type
/// but `v128`, whose 16 bytes may sit at any multiple of 8.
fn slot_flags(t: ValType) -> MemFlagsData {
    if t == ValType::V128 { MemFlagsData::new().with_notrap() } else { MemFlagsData::trusted() }
}

/// Byte offset of each value's first slot in a value array.
fn slot_offsets(types: &[ValType]) -> impl Iterator<Item = (ValType, i32)> + '_ {
    types.iter().scan(0usize, |at, t| {
        let off = *at * 8;
        *at += t.slots();
        Some((*t, off as i32))
    })
}

pub fn entry_trampoline(sig: &Sig, type_index: u32, isa: &dyn TargetIsa, fctx: &mut FunctionBuilderContext) -> Function {
    let cc = isa.default_call_conv();
    let mut s = Signature::new(cc);
    s.params.extend([AbiParam::new(types::I64); 3]);
    let mut f = Function::with_name_signature(UserFuncName::user(ENTRY_NAMESPACE, type_index), s);
    let mut b = FunctionBuilder::new(&mut f, fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    let p = b.block_params(block).to_vec();
    let (callee, vmctx, values) = (p[0], p[1], p[2]);
    let mut args = alloc::vec![vmctx];
    for (t, off) in slot_offsets(&sig.params) {
        args.push(b.ins().load(clif_type(t), slot_flags(t), values, off));
    }
    let wasm_sig = b.import_signature(wasm_signature(sig, cc));
    let call = b.ins().call_indirect(wasm_sig, callee, &args);
    let results = b.inst_results(call).to_vec();
    for ((t, off), r) in slot_offsets(&sig.results).zip(results) {
        b.ins().store(slot_flags(t), r, values, off);
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    f
}

pub fn host_trampoline(sig: &Sig, type_index: u32, isa: &dyn TargetIsa, fctx: &mut FunctionBuilderContext) -> Function {
    let cc = isa.default_call_conv();
    let mut f = Function::with_name_signature(UserFuncName::user(HOST_NAMESPACE, type_index), wasm_signature(sig, cc));
    let mut b = FunctionBuilder::new(&mut f, fctx);
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    let p = b.block_params(block).to_vec();
    let host_ctx = p[0];
    let slots = sig.slots();
    let ss = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, (slots * 8) as u32, 3));
    let values = b.ins().stack_addr(types::I64, ss, 0);
    for ((t, off), v) in slot_offsets(&sig.params).zip(&p[1..]) {
        b.ins().store(slot_flags(t), *v, values, off);
    }
    let mut cb_sig = Signature::new(cc);
    cb_sig.params.extend([AbiParam::new(types::I64); 2]);
    let cb_sig = b.import_signature(cb_sig);
    let callback = b.ins().load(types::I64, MemFlagsData::trusted(), host_ctx, crate::env::vmctx::host::CALLBACK);
    b.ins().call_indirect(cb_sig, callback, &[host_ctx, values]);
    let mut results = alloc::vec::Vec::new();
    for (t, off) in slot_offsets(&sig.results) {
        results.push(b.ins().load(clif_type(t), slot_flags(t), values, off));
    }
    b.ins().return_(&results);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    f
}

//! Per-function view of the runtime layout: vmctx loads, signatures, callee references.
//!
//! Every address the translator computes from the vmctx goes through here, following
//! [`crate::env::vmctx`].

use crate::compile::BoundsChecks;
use crate::env::builtins::Builtin;
use crate::env::vmctx;
use crate::module::{ModuleInfo, Sig, ValType};
use alloc::collections::BTreeMap;
use cranelift_codegen::ir::{
    AbiParam, ArgumentPurpose, ExtFuncData, ExternalName, FuncRef, InstBuilder, MemFlagsData,
    SigRef, Signature, Type, UserExternalName, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;

/// The CLIF type holding a Wasm value (references are 64-bit words).
pub fn clif_type(t: ValType) -> Type {
    match t {
        ValType::I32 => types::I32,
        ValType::I64 | ValType::FuncRef | ValType::ExternRef => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        // v128 is always I8X16 between operators; SIMD operators bitcast to their lane type.
        ValType::V128 => types::I8X16,
    }
}

/// The native signature of a Wasm function: `(vmctx, params...) -> results`.
pub fn wasm_signature(sig: &Sig, call_conv: CallConv) -> Signature {
    let mut s = Signature::new(call_conv);
    s.params.push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    s.params.extend(sig.params.iter().map(|t| AbiParam::new(clif_type(*t))));
    s.returns.extend(sig.results.iter().map(|t| AbiParam::new(clif_type(*t))));
    s
}

/// Flags for loads of runtime data structures: aligned, never trapping.
pub fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

pub struct FuncEnv<'m> {
    pub info: &'m ModuleInfo,
    pub bounds: BoundsChecks,
    pub call_conv: CallConv,
    pub vmctx: Value,
    sig_refs: BTreeMap<u32, SigRef>,
    func_refs: BTreeMap<u32, FuncRef>,
    builtin_sigs: BTreeMap<u8, SigRef>,
}

impl<'m> FuncEnv<'m> {
    pub fn new(info: &'m ModuleInfo, bounds: BoundsChecks, call_conv: CallConv, vmctx: Value) -> Self {
        FuncEnv {
            info,
            bounds,
            call_conv,
            vmctx,
            sig_refs: BTreeMap::new(),
            func_refs: BTreeMap::new(),
            builtin_sigs: BTreeMap::new(),
        }
    }

    /// Loads the 8-byte vmctx field at `offset`.
    pub fn vmctx_field(&self, b: &mut FunctionBuilder, offset: i32) -> Value {
        b.ins().load(types::I64, trusted().with_readonly().with_can_move(), self.vmctx, offset)
    }

    /// Loads entry `index` of the pointer array stored in vmctx field `field`.
    pub fn vmctx_array_entry(&self, b: &mut FunctionBuilder, field: i32, index: u32) -> Value {
        let array = self.vmctx_field(b, field);
        let offset = i32::try_from(u64::from(index) * 8).unwrap_or(i32::MAX);
        b.ins().load(types::I64, trusted().with_readonly().with_can_move(), array, offset)
    }

    /// Signature reference for module type `type_index`.
    pub fn sig_ref(&mut self, b: &mut FunctionBuilder, type_index: u32) -> SigRef {
        if let Some(r) = self.sig_refs.get(&type_index) {
            return *r;
        }
        let sig = wasm_signature(&self.info.types[type_index as usize], self.call_conv);
        let r = b.import_signature(sig);
        self.sig_refs.insert(type_index, r);
        r
    }

    /// Direct-call reference for local function `func` (resolved by our linker).
    pub fn func_ref(&mut self, b: &mut FunctionBuilder, func: u32) -> FuncRef {
        if let Some(r) = self.func_refs.get(&func) {
            return *r;
        }
        let signature = self.sig_ref(b, self.info.funcs[func as usize]);
        let name = b.func.declare_imported_user_function(UserExternalName { namespace: 0, index: func });
        let r = b.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.func_refs.insert(func, r);
        r
    }

    /// Calls builtin `which` with `args` (the vmctx is prepended) and returns its results.
    pub fn call_builtin(&mut self, b: &mut FunctionBuilder, which: Builtin, args: &[Value]) -> Option<Value> {
        let sig = match self.builtin_sigs.get(&(which as u8)) {
            Some(s) => *s,
            None => {
                let (params, results) = which.signature();
                let mut s = Signature::new(self.call_conv);
                s.params.push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
                s.params.extend(params.iter().map(|t| AbiParam::new(clif_type(*t))));
                s.returns.extend(results.iter().map(|t| AbiParam::new(clif_type(*t))));
                let r = b.import_signature(s);
                self.builtin_sigs.insert(which as u8, r);
                r
            }
        };
        let addr = self.vmctx_array_entry(b, vmctx::BUILTINS, which.index() as u32);
        let mut all = alloc::vec![self.vmctx];
        all.extend_from_slice(args);
        let call = b.ins().call_indirect(sig, addr, &all);
        b.inst_results(call).first().copied()
    }
}

//! The function driver: sets up the CLIF function, locals and stack limit, then feeds every
//! operator to [`super::ops`], tagging each instruction with its Wasm byte offset.

use super::func_env::{FuncEnv, clif_type, wasm_signature};
use super::state::{Frame, FrameKind, State};
use super::variables::Locals;
use super::{control, ops, simd_lanes};
use crate::compile::BoundsChecks;
use crate::env::vmctx;
use crate::error::Result;
use crate::module::{ModuleInfo, parse_val_type};
use alloc::vec::Vec;
use core::ops::Range;
use cranelift_codegen::ir::{
    Function, GlobalValueData, InstBuilder, MemFlagsData, SourceLoc, UserFuncName, types,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wasmparser::{BinaryReader, FunctionBody};

pub struct Translator<'a> {
    pub env: FuncEnv<'a>,
    pub builder: FunctionBuilder<'a>,
    pub state: State,
    pub locals: Locals,
    /// Set when the body's final `end` has been translated.
    pub finished: Option<Frame>,
}

/// Translates local function `func` (index in the whole function space) whose body occupies
/// `body` in `wasm`. The CLIF function is named `u0:func` and expects the [`crate::env`] layout.
pub fn translate_function(
    info: &ModuleInfo,
    func: u32,
    wasm: &[u8],
    body: Range<usize>,
    bounds: BoundsChecks,
    isa: &dyn TargetIsa,
    fctx: &mut FunctionBuilderContext,
) -> Result<Function> {
    let sig = info.func_sig(func);
    let call_conv = isa.default_call_conv();
    let mut function = Function::with_name_signature(UserFuncName::user(0, func), wasm_signature(sig, call_conv));
    set_stack_limit(&mut function);
    let body_reader = FunctionBody::new(BinaryReader::new(&wasm[body.clone()], body.start as u64));
    let mut builder = FunctionBuilder::new(&mut function, fctx);
    builder.set_srcloc(SourceLoc::new(body.start as u32));
    let entry = builder.create_block();
    builder.append_block_params_for_function_params(entry);
    builder.switch_to_block(entry);
    let params = builder.block_params(entry).to_vec();
    let vmctx = params[0];

    let mut vars = Vec::new();
    for (i, ty) in sig.params.iter().enumerate() {
        let v = builder.declare_var(clif_type(*ty));
        builder.def_var(v, params[i + 1]);
        vars.push(v);
    }
    let mut locals_reader = body_reader.get_locals_reader()?;
    for _ in 0..locals_reader.get_count() {
        let off = locals_reader.original_position();
        let (count, ty) = locals_reader.read()?;
        let ty = parse_val_type(ty, off)?;
        for _ in 0..count {
            let v = builder.declare_var(clif_type(ty));
            let zero = match clif_type(ty) {
                types::F32 => builder.ins().f32const(0.0),
                types::F64 => builder.ins().f64const(0.0),
                types::I8X16 => simd_lanes::zero(&mut builder),
                t => builder.ins().iconst(t, 0),
            };
            builder.def_var(v, zero);
            vars.push(v);
        }
    }

    let exit = builder.create_block();
    for t in &sig.results {
        builder.append_block_param(exit, clif_type(*t));
    }
    let mut state = State { reachable: true, ..State::default() };
    control::push_frame(&mut state, FrameKind::Block, exit, 0, sig.results.len());

    let mut t = Translator {
        env: FuncEnv::new(info, bounds, call_conv, vmctx),
        builder,
        state,
        locals: Locals { vars },
        finished: None,
    };
    let mut reader = body_reader.get_operators_reader()?;
    while t.finished.is_none() {
        let (op, off) = reader.read_with_offset()?;
        t.builder.set_srcloc(SourceLoc::new(off as u32));
        ops::translate(&mut t, &op, off)?;
    }
    if t.state.reachable {
        let results = t.state.stack.clone();
        t.builder.ins().return_(&results);
    }
    t.builder.seal_all_blocks();
    t.builder.finalize(isa.frontend_config());
    Ok(function)
}

/// Points Cranelift's prologue stack check at `vmctx->limits->stack_limit`.
fn set_stack_limit(f: &mut Function) {
    let flags = f.dfg.mem_flags.insert_unchecked(MemFlagsData::trusted().with_readonly());
    let vmctx = f.create_global_value(GlobalValueData::VMContext);
    let limits = f.create_global_value(GlobalValueData::Load {
        base: vmctx,
        offset: vmctx::LIMITS.into(),
        global_type: types::I64,
        flags,
    });
    let limit = f.create_global_value(GlobalValueData::Load {
        base: limits,
        offset: vmctx::limits::STACK_LIMIT.into(),
        global_type: types::I64,
        flags,
    });
    f.stack_limit = Some(limit);
}


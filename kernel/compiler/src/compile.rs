//! The whole pipeline for one module: validate, parse, translate and compile every function,
//! compile the trampolines, link.

use crate::error::{Error, ErrorKind, Result};
use crate::isa::{self, CpuFeatures, OptLevel};
use crate::link::{FuncInfo, Image, Linker};
use crate::module::{self, ModuleInfo};
use crate::{trampolines, translate, validate};
use alloc::string::String;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::Function;
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;

/// How linear-memory accesses are kept in bounds (see `translate/bounds.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BoundsChecks {
    /// No checks in code: the memory sits in a large reservation whose unmapped part faults.
    #[default]
    Guard,
    /// An explicit compare-and-trap before every access.
    Explicit,
}

/// What the embedder chooses for a compilation.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompileOptions {
    pub opt: OptLevel,
    pub cpu: CpuFeatures,
    pub bounds: BoundsChecks,
    /// A monotonic clock in nanoseconds, for per-function compile times (none in `no_std`).
    pub clock: Option<fn() -> u64>,
}

/// A compiled module: its declarations and its linked code image.
#[derive(Clone, Debug)]
pub struct CompiledModule {
    pub info: ModuleInfo,
    pub image: Image,
    pub options_bounds: BoundsChecks,
}

fn codegen_error(offset: usize, what: String) -> Error {
    Error::new(ErrorKind::Codegen, offset, what)
}

/// Compiles a CLIF function, mapping Cranelift's error to ours.
pub fn compile_clif<'c>(
    ctx: &'c mut Context,
    isa: &dyn TargetIsa,
    offset: usize,
) -> Result<&'c cranelift_codegen::CompiledCode> {
    ctx.compile(isa, &mut ControlPlane::default())
        .map_err(|e| codegen_error(offset, alloc::format!("{:?}", e.inner)))
}

/// Byte range of local function `func`'s body; an error for imports and unknown indices.
pub fn local_body(info: &ModuleInfo, func: u32) -> Result<&core::ops::Range<usize>> {
    func.checked_sub(info.num_imported_funcs)
        .and_then(|i| info.bodies.get(i as usize))
        .ok_or_else(|| Error::new(ErrorKind::Invalid, 0u64, alloc::format!("function {func} is not a local function")))
}

/// Translates local function `func` to CLIF (for dumps and tests).
pub fn translate_to_clif(bytes: &[u8], info: &ModuleInfo, func: u32, opts: &CompileOptions) -> Result<Function> {
    let isa = isa::build(&opts.cpu, opts.opt)?;
    let body = local_body(info, func)?;
    let mut fctx = FunctionBuilderContext::new();
    translate::translate_function(info, func, bytes, body.clone(), opts.bounds, &*isa, &mut fctx)
}

/// Validates and compiles a whole module.
pub fn compile(bytes: &[u8], opts: &CompileOptions) -> Result<CompiledModule> {
    validate::validate(bytes)?;
    let info = module::parse(bytes)?;
    let isa = isa::build(&opts.cpu, opts.opt)?;
    let now = || opts.clock.map_or(0, |c| c());
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = Context::new();
    let mut linker = Linker::new(info.num_imported_funcs);
    for (i, body) in info.bodies.iter().enumerate() {
        let index = info.num_imported_funcs + i as u32;
        let t0 = now();
        ctx.clear();
        ctx.func = translate::translate_function(&info, index, bytes, body.clone(), opts.bounds, &*isa, &mut fctx)?;
        compile_clif(&mut ctx, &*isa, body.start)?;
        let code = ctx.compiled_code().expect("just compiled");
        let size = code.buffer.data().len() as u32;
        let offset = linker.append(&ctx.func, code, index, body.start as u32)?;
        let nanos = now().saturating_sub(t0);
        linker.image_mut().funcs.push(FuncInfo {
            index,
            name: info.func_name(index),
            code_offset: offset,
            code_size: size,
            wasm_start: body.start as u32,
            wasm_end: body.end as u32,
            compile_nanos: nanos,
        });
    }
    for (t, sig) in info.types.iter().enumerate() {
        for host in [false, true] {
            ctx.clear();
            ctx.func = if host {
                trampolines::host_trampoline(sig, t as u32, &*isa, &mut fctx)
            } else {
                trampolines::entry_trampoline(sig, t as u32, &*isa, &mut fctx)
            };
            compile_clif(&mut ctx, &*isa, 0)?;
            let code = ctx.compiled_code().expect("just compiled");
            let offset = linker.append(&ctx.func, code, u32::MAX, 0)?;
            let list = if host { &mut linker.image_mut().host_trampolines } else { &mut linker.image_mut().entry_trampolines };
            list.push(offset);
        }
    }
    let image = linker.finish()?;
    Ok(CompiledModule { info, image, options_bounds: opts.bounds })
}

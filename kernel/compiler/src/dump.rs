//! Inspection of one function's compilation: CLIF before and after optimisation, machine code
//! with Wasm source locations, and the Wasm operators by offset (for `cargo xtask dump`).

use crate::compile::{CompileOptions, compile_clif, local_body, translate_to_clif};
use crate::error::Result;
use crate::isa;
use crate::env::traps::TrapKind;
use crate::module::ModuleInfo;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use cranelift_codegen::Context;
use wasmparser::{BinaryReader, FunctionBody};

/// Everything `dump` shows about one function.
pub struct FuncDump {
    pub index: u32,
    pub name: String,
    /// CLIF as translated, and after Cranelift's optimisation passes.
    pub clif: String,
    pub clif_optimised: String,
    /// Code of this function alone (calls not yet relocated).
    pub code: Vec<u8>,
    /// `(code_offset, wasm_offset)` at the start of each instruction group.
    pub srclocs: Vec<(u32, u32)>,
    /// Instructions that can trap, and how.
    pub traps: Vec<(u32, TrapKind)>,
}

/// Compiles local function `func` alone, keeping the intermediate forms.
pub fn dump_function(bytes: &[u8], info: &ModuleInfo, func: u32, opts: &CompileOptions) -> Result<FuncDump> {
    let isa = isa::build(&opts.cpu, opts.opt)?;
    let function = translate_to_clif(bytes, info, func, opts)?;
    let clif = format!("{}", function.display());
    let mut ctx = Context::for_function(function);
    let start = local_body(info, func)?.start;
    let code = compile_clif(&mut ctx, &*isa, start)?;
    let srclocs = code
        .buffer
        .get_srclocs_sorted()
        .iter()
        .filter(|s| s.loc.is_abs() && !s.loc.as_abs().is_default())
        .map(|s| (s.start, s.loc.as_abs().bits()))
        .collect();
    let traps = code.buffer.traps().iter().filter_map(|t| Some((t.offset, TrapKind::from_code(t.code)?))).collect();
    let code = code.buffer.data().to_vec();
    Ok(FuncDump {
        index: func,
        name: info.func_name(func),
        clif,
        clif_optimised: format!("{}", ctx.func.display()),
        code,
        srclocs,
        traps,
    })
}

/// Each operator of local function `func` with its byte offset, in a readable form.
pub fn operators(bytes: &[u8], info: &ModuleInfo, func: u32) -> Result<Vec<(u32, String)>> {
    let range = local_body(info, func)?.clone();
    let body = FunctionBody::new(BinaryReader::new(&bytes[range.clone()], range.start as u64));
    let mut reader = body.get_operators_reader()?;
    let mut out = Vec::new();
    while !reader.eof() {
        let (op, off) = reader.read_with_offset()?;
        out.push((off as u32, compact(format!("{op:?}"))));
    }
    Ok(out)
}

/// Shortens wasmparser's `MemArg { align, max_align, offset, .. }` to `offset=N`.
fn compact(text: String) -> String {
    let Some(start) = text.find("MemArg {") else { return text };
    let Some(len) = text[start..].find('}') else { return text };
    let inner = &text[start..start + len];
    let offset = inner.split("offset: ").nth(1).and_then(|r| r.split(',').next()).unwrap_or("?");
    format!("{}offset={}{}", &text[..start], offset.trim(), &text[start + len + 1..])
}

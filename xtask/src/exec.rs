//! `cargo xtask exec FILE.wasm --invoke NAME [ARGS...]`: compiles on the host, calls an export and
//! prints each result on its own line (floats also as their bits), like `wasmtime run --invoke`.

use crate::Failure;
use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel, ValType};
use hayabusa_compiler_host::{Extern, Instance, Store, Val, cpu};
use std::process::ExitCode;
use std::sync::Arc;

const HELP: &str = "usage: cargo xtask exec FILE.wasm --invoke NAME [--opt none|speed] [--bounds guard|explicit] [ARGS...]";

fn parse_arg(text: &str, ty: ValType) -> Result<Val, Failure> {
    let bad = || Failure::Usage(format!("argument {text:?} is not a valid {ty:?}"));
    let int = |t: &str| -> Option<i64> {
        let (neg, t) = t.strip_prefix('-').map_or((false, t), |r| (true, r));
        let v = match t.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok()? as i64,
            None => t.parse::<u64>().ok()? as i64,
        };
        Some(if neg { v.wrapping_neg() } else { v })
    };
    Ok(match ty {
        ValType::I32 => Val::I32(int(text).ok_or_else(bad)? as i32),
        ValType::I64 => Val::I64(int(text).ok_or_else(bad)?),
        ValType::F32 => Val::F32(text.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(text.parse::<f64>().map_err(|_| bad())?.to_bits()),
        ValType::V128 => {
            let h = text.strip_prefix("0x").ok_or_else(bad)?;
            Val::V128(u128::from_str_radix(h, 16).map_err(|_| bad())?)
        }
        _ => return Err(Failure::Usage(format!("cannot pass a {ty:?} from the command line"))),
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => format!("{} (0x{b:08x})", f32::from_bits(*b)),
        Val::F64(b) => format!("{} (0x{b:016x})", f64::from_bits(*b)),
        Val::FuncRef(0) | Val::ExternRef(0) => "null".into(),
        Val::FuncRef(p) | Val::ExternRef(p) => format!("ref 0x{p:x}"),
        Val::V128(b) => format!("0x{b:032x}"),
    }
}

/// Reads a binary module, or a text one (`.wat`) converted with the `wat` crate.
pub fn read_module(file: &str) -> Result<Vec<u8>, Failure> {
    let bytes = std::fs::read(file).map_err(|e| Failure::Error(format!("reading {file}: {e}")))?;
    if file.ends_with(".wat") {
        return wat::parse_bytes(&bytes).map(|b| b.into_owned()).map_err(|e| Failure::Error(format!("{file}: {e}")));
    }
    Ok(bytes)
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let mut file = None;
    let mut name = None;
    let mut opts = CompileOptions { cpu: cpu::host_features(), ..Default::default() };
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--invoke" => name = it.next().cloned(),
            "--opt" => {
                opts.opt = it.next().and_then(|v| OptLevel::parse(v)).ok_or_else(|| Failure::Usage(HELP.into()))?
            }
            "--bounds" => {
                opts.bounds = match it.next().map(String::as_str) {
                    Some("guard") => BoundsChecks::Guard,
                    Some("explicit") => BoundsChecks::Explicit,
                    _ => return Err(Failure::Usage(HELP.into())),
                }
            }
            _ if file.is_none() => file = Some(a.clone()),
            _ => rest.push(a.clone()),
        }
    }
    let (Some(file), Some(name)) = (file, name) else { return Err(Failure::Usage(HELP.into())) };
    let wasm = read_module(&file)?;
    let module = hayabusa_compiler::compile(&wasm, &opts).map_err(|e| Failure::Error(format!("{file}: {e}")))?;
    if let Some(imp) = module.info.imports.first() {
        return Err(Failure::Error(format!(
            "{file}: cannot satisfy import {}::{} (exec provides no imports)",
            imp.module, imp.name
        )));
    }
    let store = Store::new();
    let instance = Instance::new(&store, Arc::new(module), &wasm, &|_, _| None)
        .map_err(|e| Failure::Error(format!("{file}: {e}")))?;
    let Some(Extern::Func(func)) = instance.export(&name) else {
        return Err(Failure::Error(format!("{file}: no exported function {name:?}")));
    };
    if func.sig.params.len() != rest.len() {
        return Err(Failure::Usage(format!("{name} takes {} arguments, {} given", func.sig.params.len(), rest.len())));
    }
    let args = rest.iter().zip(&func.sig.params).map(|(a, t)| parse_arg(a, *t)).collect::<Result<Vec<_>, _>>()?;
    match func.call(&args) {
        Ok(results) => {
            for r in &results {
                println!("{}", show(r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(trap) => {
            eprintln!("{file}: {trap}");
            Ok(ExitCode::from(3))
        }
    }
}

//! `cargo xtask dump FILE.wasm [--func NAME|INDEX] [--clif] [--asm] [--opt none|speed]`: CLIF
//! before and after optimisation and x86-64 disassembly grouped by the Wasm operator each
//! instruction came from, per-function code size and compile time, and a module summary.

use crate::Failure;
use crate::exec::read_module;
use hayabusa_compiler::dump::{FuncDump, dump_function, operators};
use hayabusa_compiler::{CompileOptions, OptLevel};
use hayabusa_compiler_host::cpu;
use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

const HELP: &str = "usage: cargo xtask dump FILE.wasm [--func NAME|INDEX] [--clif] [--asm] [--opt none|speed]";

fn now_nanos() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

struct Args {
    file: String,
    func: Option<String>,
    clif: bool,
    asm: bool,
    opts: CompileOptions,
}

fn parse(args: &[String]) -> Result<Args, Failure> {
    let mut a = Args {
        file: String::new(),
        func: None,
        clif: false,
        asm: false,
        opts: CompileOptions { cpu: cpu::host_features(), clock: Some(now_nanos), ..Default::default() },
    };
    let mut it = args.iter();
    while let Some(x) = it.next() {
        match x.as_str() {
            "--func" => a.func = Some(it.next().ok_or_else(|| Failure::Usage(HELP.into()))?.clone()),
            "--clif" => a.clif = true,
            "--asm" => a.asm = true,
            "--opt" => a.opts.opt = it.next().and_then(|v| OptLevel::parse(v)).ok_or_else(|| Failure::Usage(HELP.into()))?,
            s if s.starts_with('-') => return Err(Failure::Usage(HELP.into())),
            f => a.file = f.to_string(),
        }
    }
    if a.file.is_empty() {
        return Err(Failure::Usage(HELP.into()));
    }
    if a.func.is_some() && !a.clif && !a.asm {
        (a.clif, a.asm) = (true, true);
    }
    Ok(a)
}

fn disassemble(d: &FuncDump, ops: &HashMap<u32, String>) {
    let mut decoder = Decoder::with_ip(64, &d.code, 0, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut text = String::new();
    let mut group = usize::MAX;
    while decoder.can_decode() {
        let ins = decoder.decode();
        let at = ins.ip() as u32;
        let g = d.srclocs.partition_point(|(o, _)| *o <= at);
        if g != group && g > 0 {
            let wasm = d.srclocs[g - 1].1;
            let op = ops.get(&wasm).map_or("", String::as_str);
            println!("  ;; wasm @{wasm:#06x}  {op}");
            group = g;
        }
        text.clear();
        fmt.format(&ins, &mut text);
        let bytes: String = d.code[at as usize..at as usize + ins.len()].iter().map(|b| format!("{b:02x}")).collect();
        match d.traps.iter().find(|(o, _)| *o == at) {
            Some((_, kind)) => println!("    {at:5x}  {bytes:<24} {text:<40} ; trap: {kind}"),
            None => println!("    {at:5x}  {bytes:<24} {text}"),
        }
    }
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let a = parse(args)?;
    let wasm = read_module(&a.file)?;
    let module = hayabusa_compiler::compile(&wasm, &a.opts).map_err(|e| Failure::Error(format!("{}: {e}", a.file)))?;
    let info = &module.info;
    let selected: Vec<u32> = match &a.func {
        None => module.image.funcs.iter().map(|f| f.index).collect(),
        Some(sel) => {
            let by_name = module.image.funcs.iter().find(|f| f.name == *sel).map(|f| f.index).or_else(|| {
                let kind = hayabusa_compiler::module::ExternKind::Func;
                info.exports.iter().find(|e| e.name == *sel && e.kind == kind).map(|e| e.index)
            });
            let idx = by_name.or_else(|| sel.parse().ok()).ok_or_else(|| Failure::Error(format!("no function {sel}")))?;
            vec![idx]
        }
    };
    println!("{:>6} {:<40} {:>8} {:>8} {:>9}", "index", "function", "wasm B", "x86 B", "compile");
    for f in module.image.funcs.iter().filter(|f| selected.contains(&f.index)) {
        let name: String = f.name.chars().take(40).collect();
        let ms = f.compile_nanos as f64 / 1e6;
        println!("{:>6} {:<40} {:>8} {:>8} {:>7.3}ms", f.index, name, f.wasm_end - f.wasm_start, f.code_size, ms);
    }
    let wasm_bytes: u32 = module.image.funcs.iter().map(|f| f.wasm_end - f.wasm_start).sum();
    let code_bytes: u32 = module.image.funcs.iter().map(|f| f.code_size).sum();
    let nanos: u64 = module.image.funcs.iter().map(|f| f.compile_nanos).sum();
    println!(
        "module {}: {} functions ({} imported), {wasm_bytes} Wasm code bytes -> {code_bytes} bytes x86-64 \
         (image {} bytes, {} trap sites), compile {:.2} ms at opt {:?}",
        a.file,
        info.funcs.len(),
        info.num_imported_funcs,
        module.image.code.len(),
        module.image.traps.len(),
        nanos as f64 / 1e6,
        a.opts.opt
    );
    if !a.clif && !a.asm {
        return Ok(ExitCode::SUCCESS);
    }
    for &idx in &selected {
        let d = dump_function(&wasm, info, idx, &a.opts).map_err(|e| Failure::Error(e.to_string()))?;
        println!("\n=== {} (function index {idx}, {} bytes of x86-64)", d.name, d.code.len());
        if a.clif {
            println!("--- CLIF as translated\n{}", d.clif);
            println!("--- CLIF after optimisation (opt {:?})\n{}", a.opts.opt, d.clif_optimised);
        }
        if a.asm {
            let ops: HashMap<u32, String> =
                operators(&wasm, info, idx).map_err(|e| Failure::Error(e.to_string()))?.into_iter().collect();
            println!("--- x86-64 (calls unrelocated)");
            disassemble(&d, &ops);
        }
    }
    Ok(ExitCode::SUCCESS)
}

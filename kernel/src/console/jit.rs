//! The `jit` console command: compiles the embedded sample module inside the kernel, reports
//! code size and compile time per function, then instantiates it and runs its exports —
//! computations whose results are checked by a boot test, and one call per trap kind, each of
//! which must end only that call, after which the instance keeps working.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use hayabusa_compiler::module::ValType;
use hayabusa_compiler::{BoundsChecks, CompiledModule, OptLevel};

use super::commands::Outcome;
use crate::kprintln;
use crate::wasm::instance::{CallError, Instance};
use crate::wasm::jit::{self, CompileError};

/// The sample module (`kernel/samples/jit-sample.wat`, assembled by the build script).
pub static SAMPLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/jit-sample.wasm"));

/// Stack of the thread that runs the sample (deep recursion must hit the stack limit, not the
/// guard page).
const RUN_STACK: u64 = 1 << 20;

/// Calls made, in order: export name and arguments (raw bits). `checksum` reads the data
/// segment, so it runs before `primes` reuses that memory for its sieve.
const CALLS: &[(&str, &[u64])] = &[
    ("checksum", &[]),
    ("fib", &[50]),
    ("fac", &[20]),
    ("basel", &[100_000]),
    ("primes", &[10_000]),
    ("calls", &[]),
    ("out_of_bounds", &[]),
    ("divide_by_zero", &[0]),
    ("unreachable", &[]),
    ("deep", &[0]),
    ("fib", &[10]),
];

pub fn run(args: &[&str]) -> Outcome {
    let (opt, bounds) = match args {
        [] | ["speed"] => (OptLevel::Speed, BoundsChecks::Guard),
        ["none"] => (OptLevel::None, BoundsChecks::Guard),
        ["explicit"] => (OptLevel::Speed, BoundsChecks::Explicit),
        _ => {
            kprintln!("usage: jit [speed|none|explicit]");
            return Outcome::Continue;
        }
    };
    let (module, nanos) = match jit::compile(SAMPLE.to_vec(), opt, bounds) {
        Ok(done) => done,
        Err(CompileError::Wasm(e)) => {
            kprintln!("jit: compile error: {e}");
            return Outcome::Continue;
        }
        Err(CompileError::NoStack) => {
            kprintln!("jit: no memory for the compile thread");
            return Outcome::Continue;
        }
    };
    report_compile(&module, opt, bounds, nanos);
    match crate::sched::run_on_thread("jit-run", RUN_STACK, move || run_sample(module)) {
        Ok(lines) => {
            for line in lines {
                kprintln!("{line}");
            }
        }
        Err(e) => kprintln!("jit: cannot start the run thread: {e:?}"),
    }
    Outcome::Continue
}

fn report_compile(module: &CompiledModule, opt: OptLevel, bounds: BoundsChecks, nanos: u64) {
    let image = &module.image;
    kprintln!(
        "jit: compiled {} bytes of Wasm into {} bytes of x86-64 ({} functions, opt {:?}, bounds {:?}) in {} us",
        SAMPLE.len(),
        image.code.len(),
        image.funcs.len(),
        opt,
        bounds,
        nanos / 1000
    );
    for f in &image.funcs {
        kprintln!("  func {:>2} {:<16} {:>5} bytes {:>8} us", f.index, f.name, f.code_size, f.compile_nanos / 1000);
    }
}

fn format_value(ty: ValType, bits: u64) -> String {
    match ty {
        ValType::I32 => format!("{}", bits as u32 as i32),
        ValType::I64 => format!("{}", bits as i64),
        ValType::F32 => format!("{}", f32::from_bits(bits as u32)),
        ValType::F64 => format!("{}", f64::from_bits(bits)),
        ValType::FuncRef | ValType::ExternRef => format!("ref {bits:#x}"),
    }
}

fn run_sample(module: CompiledModule) -> Vec<String> {
    let mut out = Vec::new();
    let mut instance = match Instance::new(module, SAMPLE) {
        Ok(i) => i,
        Err(e) => {
            out.push(format!("jit: instantiation failed: {e}"));
            return out;
        }
    };
    if let Some(m) = instance.memory() {
        out.push(format!("jit: instantiated: memory of {} pages at {:#x}", m.pages(), m.base()));
    }
    for (name, args) in CALLS {
        let Some((params, results)) = instance.signature(name) else {
            out.push(format!("jit: {name}: no such export"));
            continue;
        };
        let shown: Vec<String> = params.iter().zip(args.iter()).map(|(t, a)| format_value(*t, *a)).collect();
        let call = format!("{name}({})", shown.join(", "));
        let start = crate::time::uptime_ns();
        match instance.call(name, args) {
            Ok(values) => {
                let us = (crate::time::uptime_ns() - start) / 1000;
                let shown: Vec<String> = results.iter().zip(values.iter()).map(|(t, v)| format_value(*t, *v)).collect();
                out.push(format!("jit: {call} = {} ({us} us)", shown.join(", ")));
            }
            Err(CallError::Trap(t)) => out.push(format!(
                "jit: {call} trapped: {} in {} at wasm offset {:#x} (CPU vector {})",
                t.kind.message(),
                t.func_name.unwrap_or_else(|| format!("func[{}]", t.func)),
                t.wasm_offset,
                t.vector
            )),
            Err(e) => out.push(format!("jit: {call} failed: {e:?}")),
        }
    }
    out
}

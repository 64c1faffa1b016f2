//! The `jit` console command: compiles the embedded sample module inside the kernel, reports
//! code size and compile time per function, then instantiates it and runs its exports —
//! computations whose results are checked by a boot test, calls through a table and into
//! functions the kernel provides as imports, and one call per trap kind, each of which must end
//! only that call, after which the instance keeps working.
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use spin::Mutex;

use hayabusa_compiler::module::ValType;
use hayabusa_compiler::{BoundsChecks, CompiledModule, OptLevel, Sig};
use hayabusa_runtime::Val;

use super::commands::Outcome;
use crate::kprintln;
use crate::wasm::jit::{self, CompileError};
use crate::wasm::platform::{Extern, FuncHandle, Instance, Store};

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
    ("countdown", &[1_000_000]),
    ("fib", &[10]),
    ("dispatch", &[0, 40, 2]),
    ("dispatch", &[1, 40, 2]),
    ("dispatch", &[2, 6, 7]),
    ("dispatch", &[3, 6, 7]),
    ("dispatch", &[4, 6, 7]),
    ("dispatch", &[5, 6, 7]),
    ("print_square", &[12]),
    ("simd_squares", &[1000]),
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

fn format_value(ty: ValType, wide: u128) -> String {
    let bits = wide as u64;
    match ty {
        ValType::I32 => format!("{}", bits as u32 as i32),
        ValType::I64 => format!("{}", bits as i64),
        ValType::F32 => format!("{}", f32::from_bits(bits as u32)),
        ValType::F64 => format!("{}", f64::from_bits(bits)),
        ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => format!("ref {bits:#x}"),
        ValType::V128 => format!("v128 {wide:#034x}"),
    }
}

/// The sample's imports: `env.print_i32` adds a line to `out`, `env.mul` multiplies.
fn imports(out: &Arc<Mutex<Vec<String>>>) -> [(&'static str, FuncHandle); 2] {
    let out = out.clone();
    let print = FuncHandle::host(
        Sig { params: vec![ValType::I32], results: vec![] },
        Box::new(move |args| {
            let shown: Vec<String> = args.iter().map(|a| format_value(a.ty(), a.to_bits())).collect();
            out.lock().push(format!("jit: env.print_i32({})", shown.join(", ")));
            Vec::new()
        }),
    );
    // On raw slots (no allocation per call), as hot host functions like the IPC calls will be.
    let mul = FuncHandle::host_raw(
        Sig { params: vec![ValType::I32; 2], results: vec![ValType::I32] },
        |slots| slots[0] = u64::from((slots[0] as u32).wrapping_mul(slots[1] as u32)),
    );
    [("print_i32", print), ("mul", mul)]
}

fn run_sample(module: CompiledModule) -> Vec<String> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let store = Store::new();
    let imports = imports(&out);
    let resolve = |module: &str, name: &str| {
        let (_, f) = imports.iter().find(|(n, _)| module == "env" && *n == name)?;
        Some(Extern::Func(f.clone()))
    };
    let instance = match Instance::new(&store, Arc::new(module), SAMPLE, &resolve) {
        Ok(i) => i,
        Err(e) => return vec![format!("jit: instantiation failed: {e}")],
    };
    if let Some(m) = instance.memory() {
        out.lock().push(format!("jit: instantiated: memory of {} pages at {:#x}", m.pages(), m.base() as usize));
    }
    for (name, args) in CALLS {
        let line = call(&instance, name, args);
        out.lock().push(line);
    }
    core::mem::take(&mut *out.lock())
}

/// Calls export `name` with raw argument bits (i32 zero-extended, floats as their bits) and
/// describes the outcome.
fn call(instance: &Instance, name: &str, args: &[u64]) -> String {
    let Some(f) = instance.export_func(name) else {
        return format!("jit: {name}: no such export");
    };
    let shown: Vec<String> = f.sig.params.iter().zip(args.iter()).map(|(t, a)| format_value(*t, u128::from(*a))).collect();
    let call = format!("{name}({})", shown.join(", "));
    let args: Vec<Val> = f.sig.params.iter().zip(args.iter()).map(|(t, a)| Val::from_slot(*t, *a)).collect();
    let start = crate::time::uptime_ns();
    match f.call(&args) {
        Ok(values) => {
            let us = (crate::time::uptime_ns() - start) / 1000;
            let shown: Vec<String> = values.iter().map(|v| format_value(v.ty(), v.to_bits())).collect();
            format!("jit: {call} = {} ({us} us)", shown.join(", "))
        }
        Err(t) => {
            let cause = t.cause.map(|v| format!(" (CPU vector {v})")).unwrap_or_default();
            format!("jit: {call} trapped: {} in {} at wasm offset {:#x}{cause}", t.kind.message(), t.func, t.wasm_offset)
        }
    }
}

//! Differential testing helper: writes wasm-smith modules (Wasm 2.0 minus SIMD, no imports,
//! everything exported, loops bounded by fuel) to a folder and prints what each exported
//! function returns here when called with zero arguments. `samples/differential.py` prints the
//! same for wasmtime and compares. Usage: `cargo run -p hayabusa-compiler-host --example
//! differential -- OUT_DIR FIRST_SEED COUNT` (`OPT_NONE=1`, `BOUNDS_EXPLICIT=1` select the mode).

use arbitrary::{Arbitrary, Unstructured};
use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel};
use hayabusa_compiler_host::{Extern, Instance, InstantiateError, Store, Val, cpu};
use std::sync::Arc;

fn data(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn module(seed: u64) -> Option<Vec<u8>> {
    let bytes = data(seed, 8192);
    let mut u = Unstructured::new(&bytes);
    let mut c = wasm_smith::Config::arbitrary(&mut u).ok()?;
    c.simd_enabled = false;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.tail_call_enabled = false;
    c.memory64_enabled = false;
    c.gc_enabled = false;
    c.exceptions_enabled = false;
    c.compact_imports_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.max_memories = c.max_memories.min(1);
    c.max_imports = 0;
    c.export_everything = true;
    c.min_funcs = 1;
    c.max_funcs = c.max_funcs.max(1);
    let mut m = wasm_smith::Module::new(c, &mut u).ok()?;
    m.ensure_termination(1_000).ok()?;
    Some(m.to_bytes())
}

fn show(v: &Val) -> String {
    match *v {
        Val::I32(x) => format!("i32:{}", x as u32),
        Val::I64(x) => format!("i64:{}", x as u64),
        Val::F32(b) if f32::from_bits(b).is_nan() => "f32:nan".into(),
        Val::F64(b) if f64::from_bits(b).is_nan() => "f64:nan".into(),
        Val::F32(b) => format!("f32:{b}"),
        Val::F64(b) => format!("f64:{b}"),
        Val::FuncRef(0) | Val::ExternRef(0) => "null".into(),
        Val::FuncRef(_) | Val::ExternRef(_) => "ref".into(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = &args[1];
    let first: u64 = args[2].parse().unwrap();
    let count: u64 = args[3].parse().unwrap();
    let opt = if std::env::var_os("OPT_NONE").is_some() { OptLevel::None } else { OptLevel::Speed };
    let bounds =
        if std::env::var_os("BOUNDS_EXPLICIT").is_some() { BoundsChecks::Explicit } else { BoundsChecks::Guard };
    let opts = CompileOptions { opt, bounds, cpu: cpu::host_features(), ..Default::default() };
    for seed in first..first + count {
        let Some(wasm) = module(seed) else { continue };
        std::fs::write(format!("{out}/{seed}.wasm"), &wasm).unwrap();
        let compiled = match hayabusa_compiler::compile(&wasm, &opts) {
            Ok(m) => m,
            Err(e) => {
                println!("{seed}\t-\tcompile-error {}", e.to_string().replace('\n', " "));
                continue;
            }
        };
        let exports: Vec<String> = compiled.info.exports.iter().map(|e| e.name.clone()).collect();
        let store = Store::new();
        let inst = match Instance::new(&store, Arc::new(compiled), &wasm, &|_, _| None) {
            Ok(i) => i,
            Err(InstantiateError::Trap(_)) => {
                println!("{seed}\t-\tinstantiate-trap");
                continue;
            }
            Err(_) => {
                println!("{seed}\t-\tinstantiate-error");
                continue;
            }
        };
        for (index, name) in exports.iter().enumerate() {
            let Some(Extern::Func(f)) = inst.export(name) else { continue };
            let args: Vec<Val> = f.sig.params.iter().map(|t| Val::default_of(*t)).collect();
            let result = match f.call(&args) {
                Ok(vs) => vs.iter().map(show).collect::<Vec<_>>().join(" "),
                Err(_) => "trap".into(),
            };
            println!("{seed}\te{index}\t{result}");
        }
    }
}

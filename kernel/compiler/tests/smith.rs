//! Random valid modules from wasm-smith (a fixed, reproducible set of seeds, the shared
//! configuration of `hayabusa-smith`) compile at both optimisation levels: never a panic, never
//! a codegen error, never "unsupported" (the configuration stays inside the supported set). The
//! open-ended version of this is the cargo-fuzz target in `kernel/compiler/fuzz`.

use hayabusa_compiler::{CompileOptions, CpuFeatures, OptLevel, compile};
use hayabusa_smith::arbitrary::Unstructured;
use hayabusa_smith::{seed_bytes, supported_module};

#[test]
fn wasm_smith_modules_compile() {
    let (mut compiled, mut bytes) = (0, 0);
    for seed in 0..300u64 {
        let data = seed_bytes(seed, 16384);
        let mut u = Unstructured::new(&data);
        let Ok(module) = supported_module(&mut u) else { continue };
        let wasm = module.to_bytes();
        bytes += wasm.len();
        for opt in [OptLevel::None, OptLevel::Speed] {
            let opts = CompileOptions { opt, cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
            if let Err(e) = compile(&wasm, &opts) {
                panic!("seed {seed}: valid module in the supported set failed ({opt:?}): {e}");
            }
            compiled += 1;
        }
    }
    println!("{compiled} compiled, {bytes} bytes of modules");
    assert!(compiled > 100, "too few modules compiled: {compiled}");
}

//! Random valid modules from wasm-smith (a fixed, reproducible set of seeds) compile at both
//! optimisation levels, or are refused as unsupported: never a panic, never a codegen error.
//! The open-ended version of this is the cargo-fuzz target in `kernel/compiler/fuzz`.

use arbitrary::{Arbitrary, Unstructured};
use hayabusa_compiler::{CompileOptions, CpuFeatures, ErrorKind, OptLevel, compile};

fn bytes_for(seed: u64, len: usize) -> Vec<u8> {
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

#[test]
fn wasm_smith_modules_compile() {
    let (mut compiled, mut unsupported, mut bytes) = (0, 0, 0);
    for seed in 0..300u64 {
        let data = bytes_for(seed, 16384);
        let mut u = Unstructured::new(&data);
        let Ok(mut config) = wasm_smith::Config::arbitrary(&mut u) else { continue };
        config.simd_enabled = false;
        config.relaxed_simd_enabled = false;
        config.threads_enabled = false;
        config.tail_call_enabled = false;
        config.memory64_enabled = false;
        config.gc_enabled = false;
        config.exceptions_enabled = false;
        config.compact_imports_enabled = false;
        config.wide_arithmetic_enabled = false;
        config.max_memories = config.max_memories.min(1);
        let Ok(module) = wasm_smith::Module::new(config, &mut u) else { continue };
        let wasm = module.to_bytes();
        bytes += wasm.len();
        for opt in [OptLevel::None, OptLevel::Speed] {
            let opts = CompileOptions { opt, cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
            match compile(&wasm, &opts) {
                Ok(_) => compiled += 1,
                Err(e) if e.kind == ErrorKind::Unsupported => unsupported += 1,
                Err(e) => panic!("seed {seed}: valid module failed: {e}"),
            }
        }
    }
    println!("{compiled} compiled, {unsupported} unsupported, {bytes} bytes of modules");
    assert!(compiled > 100, "too few modules compiled: {compiled}");
}

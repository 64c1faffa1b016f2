//! wasm-smith modules in the supported feature set (the shared configuration of
//! `hayabusa-smith`) must compile at both optimisation levels: any error is a crash.
#![no_main]

use hayabusa_compiler::{CompileOptions, CpuFeatures, OptLevel, compile};
use hayabusa_smith::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(module) = hayabusa_smith::supported_module(&mut u) else { return };
    let bytes = module.to_bytes();
    for opt in [OptLevel::None, OptLevel::Speed] {
        let opts = CompileOptions { opt, cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
        if let Err(e) = compile(&bytes, &opts) {
            panic!("valid wasm-smith module in the supported set rejected ({opt:?}): {e}");
        }
    }
});

//! wasm-smith modules (Wasm 2.0 minus SIMD, and sometimes more) must compile or be refused
//! with an error; a module inside the supported feature set must compile.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use hayabusa_compiler::{CompileOptions, CpuFeatures, ErrorKind, OptLevel, compile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(mut config) = wasm_smith::Config::arbitrary(&mut u) else { return };
    config.simd_enabled = false;
    config.relaxed_simd_enabled = false;
    config.threads_enabled = false;
    config.tail_call_enabled = false;
    config.memory64_enabled = false;
    config.gc_enabled = false;
    config.exceptions_enabled = false;
    config.custom_page_sizes_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.compact_imports_enabled = false;
    config.max_memories = config.max_memories.min(1);
    let Ok(module) = wasm_smith::Module::new(config, &mut u) else { return };
    let bytes = module.to_bytes();
    for opt in [OptLevel::None, OptLevel::Speed] {
        let opts = CompileOptions { opt, cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
        match compile(&bytes, &opts) {
            Ok(_) => {}
            Err(e) if e.kind == ErrorKind::Unsupported => {}
            Err(e) => panic!("valid wasm-smith module rejected: {e}"),
        }
    }
});

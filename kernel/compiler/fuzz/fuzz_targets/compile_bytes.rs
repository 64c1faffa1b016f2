//! Arbitrary bytes through validate + compile: errors are fine, panics are bugs.
#![no_main]

use hayabusa_compiler::{CompileOptions, CpuFeatures, OptLevel, compile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opt = if data.first().is_some_and(|b| b & 1 == 1) { OptLevel::Speed } else { OptLevel::None };
    let opts = CompileOptions { opt, cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
    let _ = compile(data, &opts);
});

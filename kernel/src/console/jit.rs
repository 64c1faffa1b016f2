//! The `jit` console command: compiles the embedded sample module inside the kernel and reports
//! code size and compile time per function.
use alloc::vec::Vec;

use hayabusa_compiler::{BoundsChecks, OptLevel};

use super::commands::Outcome;
use crate::kprintln;
use crate::wasm::jit::{self, CompileError};

/// The sample module (`kernel/samples/jit-sample.wat`, assembled by the build script).
pub static SAMPLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/jit-sample.wasm"));

pub fn run(args: &[&str]) -> Outcome {
    let opt = match args.first().copied() {
        None | Some("speed") => OptLevel::Speed,
        Some("none") => OptLevel::None,
        Some(other) => {
            kprintln!("usage: jit [speed|none] (not {other:?})");
            return Outcome::Continue;
        }
    };
    let (module, nanos) = match jit::compile(SAMPLE.to_vec(), opt, BoundsChecks::Guard) {
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
    let image = &module.image;
    kprintln!(
        "jit: compiled {} bytes of Wasm into {} bytes of x86-64 ({} functions, opt {:?}) in {} us",
        SAMPLE.len(),
        image.code.len(),
        image.funcs.len(),
        opt,
        nanos / 1000
    );
    let mut funcs: Vec<_> = image.funcs.iter().collect();
    funcs.sort_by_key(|f| f.index);
    for f in funcs {
        let name = if f.name.is_empty() { "-" } else { f.name.as_str() };
        kprintln!("  func {:>2} {:<16} {:>5} bytes {:>6} us", f.index, name, f.code_size, f.compile_nanos / 1000);
    }
    Outcome::Continue
}

//! Compiling Wasm inside the kernel: Cranelift runs on a dedicated thread with a large stack
//! (its own compile needs ~70 KiB optimised and far more unoptimised), with ISA flags from this
//! CPU's CPUID and compile times from the TSC.

use hayabusa_compiler::{BoundsChecks, CompileOptions, CompiledModule, CpuFeatures, Error, OptLevel};

use crate::arch::cpu;
use crate::{sched, time};

/// Stack of the compile thread.
pub const COMPILE_STACK: u64 = 2 << 20;

/// The instruction-set extensions of this CPU, as the compiler wants them.
pub fn cpu_features() -> CpuFeatures {
    let f = cpu::identify().features;
    CpuFeatures {
        sse3: f.sse3,
        ssse3: f.ssse3,
        sse41: f.sse41,
        sse42: f.sse42,
        popcnt: f.popcnt,
        lzcnt: f.lzcnt,
        bmi1: f.bmi1,
        bmi2: f.bmi2,
        avx: f.avx,
        avx2: f.avx2,
        fma: f.fma,
    }
}

fn clock_ns() -> u64 {
    time::uptime_ns()
}

/// Why compiling failed.
#[derive(Debug)]
pub enum CompileError {
    /// The module was rejected (invalid, malformed, unsupported) or Cranelift failed.
    Wasm(Error),
    /// No memory for the compile thread's stack.
    NoStack,
}

/// Validates and compiles `wasm` on a compile thread; returns the module and the wall time in
/// nanoseconds.
pub fn compile(wasm: impl AsRef<[u8]> + Send + 'static, opt: OptLevel, bounds: BoundsChecks) -> Result<(CompiledModule, u64), CompileError> {
    let options = CompileOptions { opt, cpu: cpu_features(), bounds, clock: Some(clock_ns) };
    let start = time::uptime_ns();
    let result = sched::run_on_thread("jit-compile", COMPILE_STACK, move || hayabusa_compiler::compile(wasm.as_ref(), &options))
        .map_err(|_| CompileError::NoStack)?;
    let module = result.map_err(CompileError::Wasm)?;
    Ok((module, time::uptime_ns() - start))
}

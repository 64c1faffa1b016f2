//! The CPU's time-stamp counter, for benchmark cycles (the kernel reads the same counter).

/// The TSC now.
#[inline]
pub fn read() -> u64 {
    // SAFETY: `rdtsc` has no preconditions on x86-64 (every 64-bit CPU has it) and touches no
    // memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Core clock cycles per TSC cycle, estimated with a chain of dependent additions (one core
/// cycle each on every x86-64 core): the lowest of 20 timings of 100,000 additions. Benchmark
/// figures are in TSC cycles; under turbo the core runs faster than the TSC, so one TSC cycle is
/// more than one core cycle (`cargo xtask bench ipc --host` prints this for scale).
pub fn core_cycles_per_tsc_cycle() -> f64 {
    const ADDS: u64 = 100_000;
    let best = (0..20)
        .map(|_| {
            let start = read();
            let mut x = 0u64;
            for _ in 0..ADDS / 100 {
                // SAFETY: register arithmetic only: no memory, stack or flags anyone relies on.
                unsafe {
                    core::arch::asm!(".rept 100", "add {x}, 1", ".endr", x = inout(reg) x, options(nomem, nostack));
                }
            }
            std::hint::black_box(x);
            read() - start
        })
        .min()
        .unwrap_or(ADDS);
    ADDS as f64 / best.max(1) as f64
}

//! The CPU's time-stamp counter, for benchmark cycles (the kernel reads the same counter).

/// The TSC now.
#[inline]
pub fn read() -> u64 {
    // SAFETY: `rdtsc` has no preconditions on x86-64 (every 64-bit CPU has it) and touches no
    // memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}

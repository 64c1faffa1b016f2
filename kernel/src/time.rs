//! Time since boot: the TSC (frequency measured against the PIT at boot) for fine-grained
//! time, and the APIC timer's tick counter.
use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::cpu::rdtsc;

/// Timer interrupts per second.
pub const TICK_HZ: u32 = 100;

static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(0);
static TICKS: AtomicU64 = AtomicU64::new(0);

/// Records the TSC value at kernel entry; all times are relative to it.
pub fn mark_boot(tsc: u64) {
    BOOT_TSC.store(tsc, Ordering::Relaxed);
}

/// Records the measured TSC frequency.
pub fn set_tsc_hz(hz: u64) {
    TSC_HZ.store(hz, Ordering::Relaxed);
}

/// The TSC frequency, or 0 before calibration.
pub fn tsc_hz() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Called from the timer interrupt.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Timer interrupts since the timer started.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Converts a TSC interval to nanoseconds (0 before calibration).
pub fn cycles_to_ns(cycles: u64) -> u64 {
    match tsc_hz() {
        0 => 0,
        hz => (u128::from(cycles) * 1_000_000_000 / u128::from(hz)) as u64,
    }
}

/// Nanoseconds since kernel entry (0 before calibration).
pub fn uptime_ns() -> u64 {
    cycles_to_ns(rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed)))
}

/// Milliseconds since kernel entry (0 before calibration).
pub fn uptime_ms() -> u64 {
    uptime_ns() / 1_000_000
}

//! Where a direct-path round trip's cycles go: rdtsc checkpoints along `ipc_call`'s direct
//! path, compiled in only with the `ipc-steps` feature (`cargo xtask bench ipc --steps`); in
//! every other build [`begin`] and [`step`] are empty and vanish. Each checkpoint adds the
//! cycles since the previous one to its step's sum, then reads the clock again, so the
//! bookkeeping of one step is not charged to the next; the cost of a checkpoint itself is
//! measured by [`calibrate`] and reported beside the steps. Only calls that took the direct
//! path with an empty payload count (step 0 is kept aside until the claim succeeds). One caller
//! at a time: the benchmark's.

/// The steps, in path order.
pub const NAMES: [&str; STEPS] = [
    "request checked (caller's memory)",
    "link found, server claimed",
    "request copied to the server",
    "handler: owner, stack limit, entry record, stub, hayabusa_handle, back",
    "reply checked and copied back",
    "endpoint released, result",
];
pub const STEPS: usize = 6;

#[cfg(feature = "ipc-steps")]
mod imp {
    use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::STEPS;
    use crate::arch::cpu::rdtsc;

    static LAST: AtomicU64 = AtomicU64::new(0);
    /// Step 0's cycles, kept until step 1 shows the call took the direct path.
    static FIRST: AtomicU64 = AtomicU64::new(0);
    /// Whether the call in progress counts (a direct call with an empty payload).
    static COUNTING: AtomicBool = AtomicBool::new(false);
    static SUMS: [AtomicU64; STEPS] = [const { AtomicU64::new(0) }; STEPS];
    static CALLS: AtomicU64 = AtomicU64::new(0);

    pub fn begin() {
        LAST.store(rdtsc(), Ordering::Relaxed);
    }

    pub fn claimed(empty: bool) {
        COUNTING.store(empty, Ordering::Relaxed);
        step(1);
    }

    pub fn step(i: usize) {
        let cycles = rdtsc().saturating_sub(LAST.load(Ordering::Relaxed));
        match i {
            0 => FIRST.store(cycles, Ordering::Relaxed),
            _ if !COUNTING.load(Ordering::Relaxed) => {}
            1 => {
                SUMS[0].fetch_add(FIRST.load(Ordering::Relaxed), Ordering::Relaxed);
                SUMS[1].fetch_add(cycles, Ordering::Relaxed);
            }
            _ => {
                SUMS[i].fetch_add(cycles, Ordering::Relaxed);
            }
        }
        if i == STEPS - 1 && COUNTING.swap(false, Ordering::Relaxed) {
            CALLS.fetch_add(1, Ordering::Relaxed);
        }
        LAST.store(rdtsc(), Ordering::Relaxed);
    }

    pub fn reset() {
        for sum in &SUMS {
            sum.store(0, Ordering::Relaxed);
        }
        CALLS.store(0, Ordering::Relaxed);
    }

    pub fn means() -> Option<([u64; STEPS], u64)> {
        let calls = CALLS.load(Ordering::Relaxed);
        (calls > 0).then(|| (core::array::from_fn(|i| SUMS[i].load(Ordering::Relaxed) / calls), calls))
    }

    /// Cycles one empty step costs (the median of many): what every step above includes.
    pub fn calibrate() -> u64 {
        let mut samples = [0u64; 101];
        for sample in &mut samples {
            let before = SUMS[2].load(Ordering::Relaxed);
            COUNTING.store(true, Ordering::Relaxed);
            begin();
            step(2);
            *sample = SUMS[2].load(Ordering::Relaxed) - before;
        }
        reset();
        samples.sort_unstable();
        samples[samples.len() / 2]
    }
}

#[cfg(not(feature = "ipc-steps"))]
mod imp {
    use super::STEPS;

    #[inline(always)]
    pub fn begin() {}

    #[inline(always)]
    pub fn step(_: usize) {}

    #[inline(always)]
    pub fn claimed(_: bool) {}

    pub fn reset() {}

    pub fn means() -> Option<([u64; STEPS], u64)> {
        None
    }

    pub fn calibrate() -> u64 {
        0
    }
}

/// Starts timing a round trip (at the entry of `ipc_call`).
pub use imp::begin;
/// Ends step `i` of [`NAMES`].
pub use imp::step;
/// Ends step 1: the call takes the direct path; it counts if its payload is `empty`.
pub use imp::claimed;
/// Clears the sums (at the start of `bench ipc`).
pub use imp::reset;
/// The mean cycles of each step over the direct calls since [`reset`], and their number
/// (`None` without the feature or without calls).
pub use imp::means;
/// The cost of one checkpoint (clears the sums).
pub use imp::calibrate;

//! Where a direct-path round trip's cycles go: rdtsc checkpoints along `ipc_call`'s direct
//! path, compiled in only with the `ipc-steps` feature (`cargo xtask bench ipc --steps`); in
//! every other build [`begin`] and [`step`] are empty and vanish. Each checkpoint records the
//! cycles since the previous one, then reads the clock again, so the bookkeeping of one step is
//! not charged to the next; the cost of a checkpoint itself is measured by [`calibrate`] and
//! reported beside the steps. Only calls that took the direct path with an empty payload are
//! kept, and the report gives each step's median. One caller at a time: the benchmark's.

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
    use alloc::vec::Vec;
    use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::STEPS;
    use crate::system::System;

    /// Calls kept (the benchmark's 0 B direct calls are fewer).
    const CAPACITY: usize = 100_000;

    static LAST: AtomicU64 = AtomicU64::new(0);
    /// The call in progress, one entry per step.
    static ROW: [AtomicU64; STEPS] = [const { AtomicU64::new(0) }; STEPS];
    /// Whether the call in progress counts (a direct call with an empty payload).
    static COUNTING: AtomicBool = AtomicBool::new(false);
    /// Pushed to by the one benchmark caller, read by the console after it ended.
    static ROWS: spin::Mutex<Vec<[u64; STEPS]>> = spin::Mutex::new(Vec::new());

    pub fn begin<S: System>() {
        COUNTING.store(false, Ordering::Relaxed);
        LAST.store(S::cycles(), Ordering::Relaxed);
    }

    pub fn claimed<S: System>(empty: bool) {
        COUNTING.store(empty, Ordering::Relaxed);
        step::<S>(1);
    }

    pub fn step<S: System>(i: usize) {
        let cycles = S::cycles().saturating_sub(LAST.load(Ordering::Relaxed));
        ROW[i].store(cycles, Ordering::Relaxed);
        if i == STEPS - 1 && COUNTING.swap(false, Ordering::Relaxed) {
            let row = core::array::from_fn(|i| ROW[i].load(Ordering::Relaxed));
            let mut rows = ROWS.lock();
            if rows.len() < CAPACITY {
                rows.push(row);
            }
        }
        LAST.store(S::cycles(), Ordering::Relaxed);
    }

    pub fn reset() {
        let mut rows = ROWS.lock();
        rows.clear();
        rows.reserve(CAPACITY);
    }

    pub fn medians() -> Option<([u64; STEPS], u64)> {
        let rows = core::mem::take(&mut *ROWS.lock());
        if rows.is_empty() {
            return None;
        }
        let median = |i: usize| {
            let mut column: Vec<u64> = rows.iter().map(|r| r[i]).collect();
            column.sort_unstable();
            column[column.len() / 2]
        };
        Some((core::array::from_fn(median), rows.len() as u64))
    }

    /// Cycles one empty step costs (the median of many): what every step above includes.
    pub fn calibrate<S: System>() -> u64 {
        let mut samples = [0u64; 101];
        for sample in &mut samples {
            begin::<S>();
            step::<S>(2);
            *sample = ROW[2].load(Ordering::Relaxed);
        }
        samples.sort_unstable();
        samples[samples.len() / 2]
    }
}

#[cfg(not(feature = "ipc-steps"))]
mod imp {
    use super::STEPS;
    use crate::system::System;

    #[inline(always)]
    pub fn begin<S: System>() {}

    #[inline(always)]
    pub fn step<S: System>(_: usize) {}

    #[inline(always)]
    pub fn claimed<S: System>(_: bool) {}

    pub fn reset() {}

    pub fn medians() -> Option<([u64; STEPS], u64)> {
        None
    }

    pub fn calibrate<S: System>() -> u64 {
        0
    }
}

/// Starts timing a round trip (at the entry of `ipc_call`).
pub use imp::begin;
/// Ends step `i` of [`NAMES`].
pub use imp::step;
/// Ends step 1: the call takes the direct path; it counts if its payload is `empty`.
pub use imp::claimed;
/// Clears the samples (at the start of `bench ipc`).
pub use imp::reset;
/// The median cycles of each step over the direct 0 B calls since [`reset`], and their number
/// (`None` without the feature or without calls).
pub use imp::medians;
/// The cost of one checkpoint.
pub use imp::calibrate;

//! A spinlock that keeps interrupts disabled while held, as a `lock_api::RawMutex` (for talc).
//! A thread holding it can therefore never be preempted, so no other thread ever spins on it
//! for a whole time slice, and killing a preempted thread can never leave it locked.
use core::sync::atomic::{AtomicBool, Ordering};

use ::x86_64::instructions::interrupts;
use talc::lock_api::{GuardSend, RawMutex};

pub struct IrqSpinlock {
    locked: AtomicBool,
    /// Whether interrupts were enabled when the current holder locked.
    restore: AtomicBool,
}

// SAFETY: `lock` returns only once `locked` went from false to true by this caller (acquire
// ordering), and `unlock` releases it with release ordering, so at most one holder exists.
unsafe impl RawMutex for IrqSpinlock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = Self { locked: AtomicBool::new(false), restore: AtomicBool::new(false) };
    type GuardMarker = GuardSend;

    fn lock(&self) {
        let enabled = interrupts::are_enabled();
        interrupts::disable();
        while self.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            core::hint::spin_loop();
        }
        self.restore.store(enabled, Ordering::Relaxed);
    }

    fn try_lock(&self) -> bool {
        let enabled = interrupts::are_enabled();
        interrupts::disable();
        if self.locked.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            self.restore.store(enabled, Ordering::Relaxed);
            true
        } else {
            if enabled {
                interrupts::enable();
            }
            false
        }
    }

    unsafe fn unlock(&self) {
        let enable = self.restore.load(Ordering::Relaxed);
        self.locked.store(false, Ordering::Release);
        if enable {
            interrupts::enable();
        }
    }
}

/// A mutex whose holder runs with interrupts disabled.
pub type IrqMutex<T> = talc::lock_api::Mutex<IrqSpinlock, T>;
pub type IrqMutexGuard<'a, T> = talc::lock_api::MutexGuard<'a, IrqSpinlock, T>;

//! Wasm traps and cancels in the kernel: where each thread's entry state lives, and the hooks
//! the exception and timer handlers call. While a thread runs compiled code it has an active
//! entry record (`hayabusa_runtime::entry`). When an exception hits a recorded trap site of
//! loaded code, [`redirect`] stores what happened in the record and resumes at the stub's
//! landing pad, which returns "trapped" to whoever entered the code. Faults anywhere else stay
//! fatal.
//!
//! The same landing pad cancels a call, by the rules of `hayabusa_runtime::cancel` (shared with
//! Linux): a killed task's code is abandoned when it reaches the kernel (an import calls
//! [`cancel_now`]), at a cancel point of a long builtin ([`cancel_point`]), or when the timer
//! interrupts it in compiled code ([`cancel_redirect`]). Each entry record names its *owner*,
//! the kill flag of the task whose code the call runs ([`set_owner`]), so that only the killed
//! task's own frames are abandoned; a thread killed while it runs *another* task's code gives
//! that code [`GRACE_TICKS`] timer ticks, then abandons it too ([`ABANDONED`]).
//!
//! The per-thread state is two statics the scheduler saves and restores with each thread
//! ([`active`]/[`set_active`], [`owner`]/[`set_owner`]): one CPU, one running thread.
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use hayabusa_runtime::cancel;
use hayabusa_runtime::entry::{self, EntryState};

use super::code;
use super::platform::Kernel;

pub use hayabusa_runtime::cancel::{ABANDONED, CANCELLED, GRACE_TICKS};
pub use hayabusa_runtime::entry::{EntryRecord, Ended};

/// The running thread's innermost entry record (the scheduler swaps it with the thread).
static ACTIVE: AtomicPtr<EntryRecord> = AtomicPtr::new(null_mut());

/// The running thread's active record (for the scheduler to save).
pub fn active() -> *mut EntryRecord {
    ACTIVE.load(Ordering::Relaxed)
}

/// Installs a thread's active record (for the scheduler to restore).
pub fn set_active(record: *mut EntryRecord) {
    ACTIVE.store(record, Ordering::Relaxed);
}

/// The kill flag entry records made from now on on this thread name (0: none).
static OWNER: AtomicUsize = AtomicUsize::new(0);

/// The running thread's current owner (for the scheduler to save).
pub fn owner() -> usize {
    OWNER.load(Ordering::Relaxed)
}

/// Sets the running thread's owner: `flag` is the address of the kill flag of the task whose
/// code the next calls into Wasm run (an `AtomicBool` the caller keeps alive for those calls),
/// or 0. Returns the previous owner, to be restored after the calls. The scheduler swaps it with
/// the thread.
pub fn set_owner(flag: usize) -> usize {
    // A load and a store, not an atomic swap: the value belongs to the running thread (the
    // scheduler saves and restores it with the thread), so a preemption between the two sees and
    // restores the old value, and nothing else writes it.
    let previous = OWNER.load(Ordering::Relaxed);
    OWNER.store(flag, Ordering::Relaxed);
    previous
}

// SAFETY: ACTIVE and OWNER describe the running thread: the scheduler saves both with the
// thread it switches away from and restores the next thread's (interrupts disabled), so each
// thread reads back what it stored. Owners come from `set_owner`, whose callers keep the flag
// alive for the calls made under it.
unsafe impl EntryState for Kernel {
    #[inline]
    fn active() -> *mut EntryRecord {
        active()
    }

    #[inline]
    fn set_active(record: *mut EntryRecord) {
        set_active(record);
    }

    #[inline]
    fn owner() -> usize {
        owner()
    }
}

/// Abandons the running thread's innermost call into compiled code: execution continues at the
/// entry stub's landing pad, and that call returns a cancelled trap ([`CANCELLED`]). Called by
/// an import of a killed task. Every Rust frame between the stub and the caller is skipped
/// without running destructors, so the caller (and what it was called from: the host-function
/// dispatch) must own nothing that needs dropping when it calls this.
pub fn cancel_now() -> ! {
    cancel::cancel_now::<Kernel>()
}

/// Called by the timer interrupt (interrupts disabled) after the tick, back on the interrupted
/// thread: if that thread was interrupted in compiled code at `rip` and its innermost call is to
/// end (its task was killed, or the thread's task was killed and the call's grace ran out),
/// returns the `(rip, rsp)` to resume at, cancelling the call.
pub fn cancel_redirect(rip: u64) -> Option<(u64, u64)> {
    cancel::on_tick::<Kernel>(|| code::contains(rip)).map(|(rip, rsp)| (rip as u64, rsp as u64))
}

/// Called by long builtins between chunks of work: if the running call is to end (as in
/// [`cancel_redirect`]), abandons it here, like [`cancel_now`]. The caller must own nothing that
/// needs dropping.
pub fn cancel_point() {
    cancel::cancel_point::<Kernel>();
}

/// Called by an exception handler (interrupts disabled) for a fault at `rip`. If it is a trap of
/// loaded Wasm code inside an active call, records it and returns the `(rip, rsp)` to resume at.
pub fn redirect(vector: u8, rip: u64) -> Option<(u64, u64)> {
    let trap_at = || code::lookup_trap(rip).map(|(site, image)| (site, image as usize));
    entry::redirect::<Kernel>(u32::from(vector), trap_at).map(|(rip, rsp)| (rip as u64, rsp as u64))
}

/// Calls compiled code through an entry trampoline and reports a trap or a cancel as `Err`.
///
/// # Safety
/// As for `hayabusa_runtime::entry::call`: the addresses must belong to a loaded image, `vmctx`
/// must be a context that image was compiled against, and `values` must hold enough 8-byte slots
/// for the signature's arguments and results. `stack_top` is 0 (this thread's stack) or the end
/// of a mapped stack nothing else uses during the call.
#[inline]
pub unsafe fn call(trampoline: u64, callee: u64, vmctx: u64, values: &mut [u64], stack_top: u64) -> Result<(), Ended> {
    // SAFETY: forwarded from the caller.
    unsafe { entry::call::<Kernel>(trampoline as usize, callee as usize, vmctx as usize, values.as_mut_ptr(), stack_top as usize) }
}

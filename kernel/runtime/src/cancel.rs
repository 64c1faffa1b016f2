//! Ending a call into compiled code early, through the entry stub's landing pad: the rules both
//! platforms apply, on the entry records of [`crate::entry`].
//!
//! Each entry record names its *owner*, the kill flag of the task whose code the call runs, so
//! that only the killed task's own frames are abandoned. A killed task's call ends
//! - when its code calls the host: the import jumps to the landing pad ([`cancel_now`]);
//! - when a long builtin (`memory.fill` and the like) reaches a cancel point between chunks
//!   ([`cancel_point`]);
//! - when its thread is interrupted in loaded code: the kernel's timer interrupt, a signal on
//!   Linux ([`on_tick`]), resumes it at the landing pad instead.
//!
//! A thread whose task was killed while it runs *another* task's code (a caller running a
//! server's handler on the IPC direct path: an outer record's owner is killed, the innermost's
//! is not) gives that code [`GRACE_TICKS`] ticks to return; a call still running then is
//! abandoned too, and reports [`ABANDONED`] (the task layer ends the server: its state was left
//! mid-handler). A call that is cancelled reports [`CANCELLED`].
//!
//! Abandoning a call skips every Rust frame between the entry stub and the point where it is
//! abandoned without running destructors: the host-function dispatch and the import (or
//! builtin) that calls [`cancel_now`] must own nothing that needs dropping at that point. A
//! tick abandons only code interrupted in loaded compiled code, which owns nothing.
use core::sync::atomic::{AtomicBool, Ordering};

use crate::entry::{EntryRecord, EntryState};
use crate::stub;

/// The cause ("CPU vector") a cancelled call reports: not an exception vector.
pub const CANCELLED: u8 = 0xff;
/// The cause of a call abandoned because the task of the thread running it was killed.
pub const ABANDONED: u8 = 0xfe;
/// Ticks (the kernel's timer ticks, 10 ms each; pokes on Linux) that a killed thread's innermost
/// call into another task's code gets to return before it is abandoned.
pub const GRACE_TICKS: u32 = 2;

/// Whether the task owning `record`'s call was killed.
pub fn owner_killed(record: &EntryRecord) -> bool {
    if record.owner == 0 {
        return false;
    }
    // SAFETY: a record's owner is the address of an `AtomicBool` that whoever set it as the
    // thread's owner keeps alive while calls made under it run (`EntryState`), and the record
    // lives only as long as its call.
    unsafe { &*(record.owner as *const AtomicBool) }.load(Ordering::Relaxed)
}

/// Whether an outer call of `record`'s thread runs a killed task's code.
pub fn outer_killed(record: &EntryRecord) -> bool {
    let mut outer = record.outer;
    while !outer.is_null() {
        // SAFETY: `outer` links are set by `entry::call` to the records of the calls this one is
        // nested in, on the same thread; they outlive the inner call.
        let r = unsafe { &*outer };
        if owner_killed(r) {
            return true;
        }
        outer = r.outer;
    }
    false
}

/// Whether the call of `record` is to be abandoned now; if so, marks it cancelled.
pub fn must_cancel(record: &mut EntryRecord) -> bool {
    let cancel = record.abandon || owner_killed(record);
    record.cancelled |= cancel;
    cancel
}

/// The grace rule, once per tick: while an outer call's task is killed and this call's is not,
/// counts the tick; past [`GRACE_TICKS`] of them the call is to be abandoned.
pub fn count_tick(record: &mut EntryRecord) {
    if !owner_killed(record) && !record.abandon && outer_killed(record) {
        record.grace += 1;
        record.abandon = record.grace > GRACE_TICKS;
    }
}

/// What a cancelled call reports: [`ABANDONED`] if it ended for its grace running out (its own
/// task was not killed), else [`CANCELLED`].
pub fn cause(record: &EntryRecord) -> u8 {
    if record.abandon && !owner_killed(record) { ABANDONED } else { CANCELLED }
}

/// A tick on the running thread, from an interrupt or a signal handler that stopped it:
/// counts the grace of its innermost call ([`count_tick`]); then, if the thread was stopped in
/// loaded compiled code (`in_code()`, asked only inside a call) and that call is to end, marks
/// it cancelled and returns the `(rip, rsp)` to resume at: the landing pad and the stack
/// pointer the entry stub saved.
#[inline]
pub fn on_tick<S: EntryState>(in_code: impl FnOnce() -> bool) -> Option<(usize, usize)> {
    let record = S::active();
    if record.is_null() {
        return None;
    }
    // SAFETY: a non-null active record is the record of the innermost call of the thread that
    // is stopped in this interrupt (`EntryState`), so nothing else accesses it meanwhile.
    let record = unsafe { &mut *record };
    count_tick(record);
    if !in_code() || !must_cancel(record) {
        return None;
    }
    Some((stub::landing_address(), record.saved_sp))
}

/// Abandons the running thread's innermost call into compiled code: execution continues at the
/// entry stub's landing pad, and that call returns a cancelled trap ([`CANCELLED`], or
/// [`ABANDONED`] when its grace ran out). Called by an import of a killed task. Every Rust frame
/// between the stub and the caller is skipped without running destructors, so the caller (and
/// what it was called from: the host-function dispatch) must own nothing that needs dropping
/// when it calls this.
///
/// # Panics
/// Outside a call into compiled code.
pub fn cancel_now<S: EntryState>() -> ! {
    let record = S::active();
    assert!(!record.is_null(), "cancel_now outside a call into Wasm");
    // SAFETY: a non-null active record is that of this thread's innermost call (`EntryState`);
    // its `saved_sp` is the stack pointer the entry stub saved below its own frame, which is
    // still live because this code runs inside that call. The landing pad unwinds the stub's
    // frame from there and returns from the stub; the frames in between are abandoned, as this
    // function's contract tells its callers.
    unsafe {
        (*record).cancelled = true;
        stub::land((*record).saved_sp)
    }
}

/// Called by long builtins between chunks of work: if the running call is to end (as in
/// [`on_tick`]), abandons it here, like [`cancel_now`]. The caller must own nothing that needs
/// dropping.
pub fn cancel_point<S: EntryState>() {
    let record = S::active();
    if record.is_null() {
        return;
    }
    // SAFETY: the record of this thread's innermost call, which is running (we are in it); a
    // tick writes `grace`/`abandon` only on this thread, from an interrupt or signal handler.
    if unsafe { must_cancel(&mut *record) } {
        cancel_now::<S>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr::null_mut;

    fn record(owner: &AtomicBool, outer: *mut EntryRecord) -> EntryRecord {
        EntryRecord { owner: owner as *const AtomicBool as usize, outer, ..EntryRecord::default() }
    }

    #[test]
    fn only_a_killed_owner_cancels() {
        let flag = AtomicBool::new(false);
        let mut r = record(&flag, null_mut());
        assert!(!must_cancel(&mut r));
        assert!(!r.cancelled);
        flag.store(true, Ordering::Relaxed);
        assert!(must_cancel(&mut r));
        assert!(r.cancelled);
        assert_eq!(cause(&r), CANCELLED);
        assert!(!must_cancel(&mut EntryRecord::default()), "no owner: never cancelled");
    }

    #[test]
    fn a_killed_outer_owner_gives_grace_ticks_then_abandons() {
        let (outer_flag, inner_flag) = (AtomicBool::new(false), AtomicBool::new(false));
        let mut outer = record(&outer_flag, null_mut());
        let mut middle = EntryRecord { outer: &mut outer, ..EntryRecord::default() };
        let mut inner = record(&inner_flag, &mut middle);
        count_tick(&mut inner);
        assert_eq!(inner.grace, 0, "nobody killed: no grace counted");
        outer_flag.store(true, Ordering::Relaxed);
        assert!(outer_killed(&inner), "found through a record without owner");
        for tick in 1..=GRACE_TICKS {
            count_tick(&mut inner);
            assert_eq!((inner.grace, inner.abandon), (tick, false));
            assert!(!must_cancel(&mut inner), "within the grace");
        }
        count_tick(&mut inner);
        assert!(inner.abandon);
        assert!(must_cancel(&mut inner));
        assert_eq!(cause(&inner), ABANDONED);
        count_tick(&mut inner);
        assert_eq!(inner.grace, GRACE_TICKS + 1, "no more counting once abandoned");
        // Its own task killed too: a plain cancel.
        inner_flag.store(true, Ordering::Relaxed);
        assert_eq!(cause(&inner), CANCELLED);
    }

    #[test]
    fn a_killed_owner_counts_no_grace() {
        let flag = AtomicBool::new(true);
        let mut outer = record(&flag, null_mut());
        let mut inner = record(&flag, &mut outer);
        count_tick(&mut inner);
        assert_eq!((inner.grace, inner.abandon), (0, false));
        assert!(must_cancel(&mut inner));
        assert_eq!(cause(&inner), CANCELLED);
    }
}

//! Calls into compiled code on Linux: each thread's entry state in thread-locals — its
//! innermost entry record, which the signal handlers find, and the owner new records name —
//! for the shared entry code (`hayabusa_runtime::entry`, the stub in `hayabusa_runtime::stub`).

use crate::platform::Linux;
use hayabusa_runtime::entry::{EntryRecord, EntryState};
use std::cell::Cell;
use std::ptr::null_mut;

thread_local! {
    /// The innermost active call's entry record on this thread (null: none).
    static ACTIVE: Cell<*mut EntryRecord> = const { Cell::new(null_mut()) };
    /// The kill flag that entry records made from now on on this thread name (0: none).
    static OWNER: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: both values are thread-locals, so each thread reads back what it stored itself.
// Owners come from `cancel::set_owner`, whose callers keep the flag alive for the calls made
// under it. The cells are const-initialised without destructors: reading them from a signal
// handler is a plain thread-local load.
unsafe impl EntryState for Linux {
    #[inline]
    fn active() -> *mut EntryRecord {
        ACTIVE.with(Cell::get)
    }

    #[inline]
    fn set_active(record: *mut EntryRecord) {
        ACTIVE.with(|c| c.set(record));
    }

    #[inline]
    fn owner() -> usize {
        OWNER.with(Cell::get)
    }
}

/// Sets this thread's owner (see `cancel::set_owner`), returning the previous one.
#[inline]
pub(crate) fn replace_owner(flag: usize) -> usize {
    OWNER.with(|c| c.replace(flag))
}

/// Whether this thread is inside a call into compiled code.
#[inline]
pub fn in_call() -> bool {
    !Linux::active().is_null()
}

//! Entry records: one per call into compiled code, on the stack of the thread that makes it.
//!
//! A record holds the stack pointer the entry stub saved ([`crate::stub`]), the trap the call
//! ended in, and what [`crate::cancel`] needs to end the call early: its *owner* (the kill flag
//! of the task whose code it runs) and a link to the thread's next outer record. Every platform
//! keeps, per thread, the innermost record and the owner new records get ([`EntryState`]: the
//! kernel in statics the scheduler swaps with the thread, Linux in thread-locals); everything
//! else — pushing and popping records around a call ([`call`]), recording a trap for a fault
//! handler ([`redirect`]), telling how a call ended ([`Ended`]) — is here, once.
use alloc::string::String;
use core::ptr::null_mut;

use hayabusa_compiler::{TrapKind, TrapSite};

use crate::cancel;
use crate::stub;
use crate::values::Trap;

/// One call into compiled code, on the stack of the thread that made it.
pub struct EntryRecord {
    /// Written by the entry stub.
    pub saved_sp: usize,
    /// Written by the fault handler when the call trapped: the trap site, the start of its
    /// image, and the platform's cause (the CPU exception vector). The function's name is
    /// looked up after the landing, so the handler never allocates.
    pub trap: Option<(TrapSite, usize, u32)>,
    /// Address of the owner's kill flag (an `AtomicBool`), 0 for none: see [`EntryState::owner`].
    pub owner: usize,
    /// Set when the call was cancelled rather than trapped.
    pub cancelled: bool,
    /// The thread's next outer call (null for the outermost): whose task the thread serves.
    pub outer: *mut EntryRecord,
    /// Ticks seen while an outer call's task was killed and this one's was not.
    pub grace: u32,
    /// Set when the grace ran out: the call is abandoned at its next tick in compiled code or
    /// its next cancel point.
    pub abandon: bool,
}

impl Default for EntryRecord {
    fn default() -> Self {
        EntryRecord { saved_sp: 0, trap: None, owner: 0, cancelled: false, outer: null_mut(), grace: 0, abandon: false }
    }
}

/// Where a platform keeps the per-thread entry state: the running thread's innermost record
/// and the owner that records made from now on name. Implemented by the platform's type; the
/// functions are called on every call into compiled code, so they should be a load or a store.
///
/// # Safety
/// [`EntryState::active`] must return, on each thread, the pointer that thread last stored
/// with [`EntryState::set_active`] (null before the first), even when a scheduler moves the
/// value in and out with its thread: [`call`] stores there the address of a record that lives
/// exactly until it stores the previous value back, and [`cancel`] and fault handlers
/// dereference it. [`EntryState::owner`] must return 0 or the address of an `AtomicBool` that
/// stays alive while calls made under it run (the contract of the platform's `set_owner`).
pub unsafe trait EntryState {
    /// The running thread's innermost entry record, null outside compiled code.
    fn active() -> *mut EntryRecord;
    /// Makes `record` the running thread's innermost entry record.
    fn set_active(record: *mut EntryRecord);
    /// The owner (address of a kill flag, or 0) of the records made from now on on this
    /// thread, set by the platform's `set_owner`.
    fn owner() -> usize;
}

/// How a call into compiled code ended without returning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// A fault at a trap site: the site, the start of its image and the platform's cause.
    Trapped { site: TrapSite, image: usize, cause: u32 },
    /// Cancelled ([`cancel::CANCELLED`]) or abandoned ([`cancel::ABANDONED`]).
    Cancelled(u8),
}

impl Ended {
    /// The trap to report; `func_name(image, func)` names a function of a loaded image.
    pub fn into_trap(self, func_name: impl FnOnce(usize, u32) -> Option<String>) -> Trap {
        match self {
            Ended::Trapped { site, image, cause } => Trap::at(site.kind, site.wasm_offset, site.func, func_name(image, site.func), cause),
            Ended::Cancelled(cause) => Trap::at(TrapKind::Unreachable, 0, u32::MAX, None, u32::from(cause)),
        }
    }
}

/// Calls compiled code through an entry trampoline with a new innermost entry record (owned by
/// `S::owner()`), and reports a trap or a cancel as `Err`.
///
/// # Safety
/// As for [`stub::enter`]: the addresses must belong to a loaded image, `vmctx` must be a
/// context that image was compiled against, and `values` must hold enough 8-byte slots for the
/// signature's arguments and results. `stack_top` is 0 (this thread's stack) or the 16-aligned
/// end of a mapped stack nothing else uses during the call. The platform's fault handler finds
/// the record through `S::active()`.
#[inline]
pub unsafe fn call<S: EntryState>(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, stack_top: usize) -> Result<(), Ended> {
    let outer = S::active();
    let mut record = EntryRecord { owner: S::owner(), outer, ..EntryRecord::default() };
    // One pointer for everything that reaches the record during the call: the stub, the fault
    // handler, the cancel paths, and the reads below.
    let record: *mut EntryRecord = &mut record;
    S::set_active(record);
    // SAFETY: forwarded from the caller; the record lives on this stack frame until the call
    // returns (normally or through the landing pad) and is the active record meanwhile, so the
    // fault handler finds the stack pointer the stub saves in it.
    let ok = unsafe { stub::enter(trampoline, callee, vmctx, values, &raw mut (*record).saved_sp, stack_top) };
    S::set_active(outer);
    // SAFETY: `record` is the local above; nothing else refers to it any more.
    let record = unsafe { &mut *record };
    match (ok, record.trap.take()) {
        (true, _) => Ok(()),
        (false, Some((site, image, cause))) => Err(Ended::Trapped { site, image, cause }),
        (false, None) if record.cancelled => Err(Ended::Cancelled(cancel::cause(record))),
        (false, None) => unreachable!("the landing pad is only reached through `redirect` or a cancel"),
    }
}

/// For a platform's fault handler, on the faulting thread: if that thread is inside a call into
/// compiled code and `trap_at()` finds a trap site of loaded code at the faulting instruction
/// (`(site, image start)`), records the trap (with the platform's `cause`) in the innermost
/// record and returns the `(rip, rsp)` to resume at: the stub's landing pad and the stack
/// pointer it saved.
pub fn redirect<S: EntryState>(cause: u32, trap_at: impl FnOnce() -> Option<(TrapSite, usize)>) -> Option<(usize, usize)> {
    let record = S::active();
    if record.is_null() {
        return None;
    }
    let (site, image) = trap_at()?;
    // SAFETY: a non-null active record is the record of the call running on this thread (see
    // `EntryState`); the thread is stopped in this fault, so nothing else accesses it.
    let record = unsafe { &mut *record };
    record.trap = Some((site, image, cause));
    Some((stub::landing_address(), record.saved_sp))
}

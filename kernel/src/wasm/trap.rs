//! Wasm traps from CPU faults. While a thread runs compiled code it has an active entry record
//! (the stack pointer saved by the entry stub). When an exception hits a recorded trap site of
//! loaded code, the handler stores what happened in the record and resumes at the stub's landing
//! pad, which returns "trapped" to whoever entered the code. Faults anywhere else stay fatal.
//!
//! The same landing pad cancels a call: a killed task's code is abandoned when it reaches the
//! kernel (an import jumps to the landing pad, [`cancel_now`]) or when the timer interrupts it
//! in compiled code ([`cancel_redirect`]). Each entry record names its *owner*, the kill flag of
//! the task whose code the call runs, so that only the killed task's own frames are abandoned.
//!
//! A thread killed while it runs *another* task's code (a caller running a server's handler on
//! the IPC direct path) gives that code [`GRACE_TICKS`] timer ticks to return; a handler still
//! running then is abandoned too, and the call reports [`ABANDONED`] (the task layer ends the
//! server: its state was left mid-handler). Long builtins (`memory.fill` and the like) stop at
//! [`cancel_point`]s between chunks, so neither case waits for them.
use alloc::string::String;
use core::arch::global_asm;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use hayabusa_compiler::{TrapKind, TrapSite};

use super::code;
use hayabusa_runtime::stub;

/// What ended a trapped call.
#[derive(Clone, Debug)]
pub struct TrapInfo {
    pub kind: TrapKind,
    /// Byte offset of the trapping instruction in the Wasm binary.
    pub wasm_offset: u32,
    /// Function index (`u32::MAX` for a trampoline) and its name, when known.
    pub func: u32,
    pub func_name: Option<String>,
    /// CPU exception vector that raised it (6 for trap instructions, 14 for guard pages, ...).
    pub vector: u8,
}

/// One call into compiled code, on the stack of the thread that made it.
pub struct EntryRecord {
    /// Written by the entry stub.
    pub saved_sp: usize,
    /// Written by the exception handler when the call trapped: the trap site, the start of its
    /// image, and the CPU vector (the function's name is looked up after the landing, so the
    /// handler never allocates).
    pub trap: Option<(TrapSite, u64, u8)>,
    /// Address of the owner's kill flag (an `AtomicBool`), 0 for none: see [`set_owner`].
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

/// The CPU "vector" a cancelled call reports: not an exception vector.
pub const CANCELLED: u8 = 0xff;
/// The "vector" of a call abandoned because the task of the thread running it was killed.
pub const ABANDONED: u8 = 0xfe;
/// Timer ticks (10 ms each) that a killed thread's innermost call into another task's code gets
/// to return before it is abandoned.
pub const GRACE_TICKS: u32 = 2;

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

fn owner_killed(record: &EntryRecord) -> bool {
    if record.owner == 0 {
        return false;
    }
    // SAFETY: a record's owner is the address of an `AtomicBool` that whoever called `set_owner`
    // keeps alive while calls made under it run, and the record lives only as long as its call.
    unsafe { &*(record.owner as *const AtomicBool) }.load(Ordering::Relaxed)
}

global_asm!(
    ".globl hayabusa_cancel_jump",
    "hayabusa_cancel_jump:",
    "mov rsp, rdi",
    "jmp hayabusa_trap_landing",
);

unsafe extern "sysv64" {
    fn hayabusa_cancel_jump(saved_sp: usize) -> !;
}

/// Abandons the running thread's innermost call into compiled code: execution continues at the
/// entry stub's landing pad, and that call returns a cancelled trap ([`CANCELLED`]). Called by
/// an import of a killed task. Every Rust frame between the stub and the caller is skipped
/// without running destructors, so the caller (and what it was called from: the host-function
/// dispatch) must own nothing that needs dropping when it calls this.
pub fn cancel_now() -> ! {
    let record = ACTIVE.load(Ordering::Relaxed);
    assert!(!record.is_null(), "cancel_now outside a call into Wasm");
    // SAFETY: a non-null ACTIVE is the record of this thread's innermost call (see `redirect`);
    // its `saved_sp` is the stack pointer the entry stub saved below its own frame, which is
    // still live because this code runs inside that call. The landing pad unwinds the stub's
    // frame from there and returns from `hayabusa_enter`.
    unsafe {
        (*record).cancelled = true;
        hayabusa_cancel_jump((*record).saved_sp)
    }
}

/// Whether an outer call of `record`'s thread runs a killed task's code.
fn outer_killed(record: &EntryRecord) -> bool {
    let mut outer = record.outer;
    while !outer.is_null() {
        // SAFETY: `outer` links are set by `call` to the records of the calls this one is nested
        // in, on the same thread; they outlive the inner call.
        let r = unsafe { &*outer };
        if owner_killed(r) {
            return true;
        }
        outer = r.outer;
    }
    false
}

/// Whether the call of `record` is to be abandoned now, and how it reports it.
fn must_cancel(record: &mut EntryRecord) -> bool {
    let cancel = record.abandon || owner_killed(record);
    record.cancelled |= cancel;
    cancel
}

/// Called by the timer interrupt (interrupts disabled) after the tick, back on the interrupted
/// thread: if that thread was interrupted in compiled code at `rip` and its innermost call is to
/// end (its task was killed, or the thread's task was killed and the call's grace ran out),
/// returns the `(rip, rsp)` to resume at, cancelling the call.
pub fn cancel_redirect(rip: u64) -> Option<(u64, u64)> {
    let record = ACTIVE.load(Ordering::Relaxed);
    if record.is_null() {
        return None;
    }
    // SAFETY: as in `redirect`: the record of this thread's innermost call, and the thread is
    // stopped in an interrupt.
    let record = unsafe { &mut *record };
    if !owner_killed(record) && !record.abandon && outer_killed(record) {
        record.grace += 1;
        record.abandon = record.grace > GRACE_TICKS;
    }
    if !code::contains(rip) || !must_cancel(record) {
        return None;
    }
    Some((stub::landing_address() as u64, record.saved_sp as u64))
}

/// Called by long builtins between chunks of work: if the running call is to end (as in
/// [`cancel_redirect`]), abandons it here, like [`cancel_now`]. The caller must own nothing that
/// needs dropping.
pub fn cancel_point() {
    let record = ACTIVE.load(Ordering::Relaxed);
    if record.is_null() {
        return;
    }
    // SAFETY: the record of this thread's innermost call, which is running (we are in it); the
    // timer writes `grace`/`abandon` only on this thread, in an interrupt.
    if unsafe { must_cancel(&mut *record) } {
        cancel_now();
    }
}

/// Called by an exception handler (interrupts disabled) for a fault at `rip`. If it is a trap of
/// loaded Wasm code inside an active call, records it and returns the `(rip, rsp)` to resume at.
pub fn redirect(vector: u8, rip: u64) -> Option<(u64, u64)> {
    let record = ACTIVE.load(Ordering::Relaxed);
    if record.is_null() {
        return None;
    }
    let (site, image_start) = code::lookup_trap(rip)?;
    // SAFETY: a non-null ACTIVE points at the `EntryRecord` of the call running on this thread
    // (set by `call` for its duration, swapped by the scheduler with the thread); the thread is
    // stopped in this exception, so nothing else accesses it.
    let record = unsafe { &mut *record };
    record.trap = Some((site, image_start, vector));
    Some((stub::landing_address() as u64, record.saved_sp as u64))
}

/// Calls compiled code through an entry trampoline and reports a trap as `Err`.
///
/// # Safety
/// As for [`stub::enter`]: the addresses must belong to a loaded image, `vmctx` must be a
/// context that image was compiled against, and `values` must hold enough 8-byte slots for the
/// signature's arguments and results. `stack_top` is 0 (this thread's stack) or the end of a
/// mapped stack nothing else uses during the call.
pub unsafe fn call(trampoline: u64, callee: u64, vmctx: u64, values: &mut [u64], stack_top: u64) -> Result<(), TrapInfo> {
    // Per-thread state (see `set_owner`): a load and a store.
    let outer = ACTIVE.load(Ordering::Relaxed);
    let mut record = EntryRecord { owner: OWNER.load(Ordering::Relaxed), outer, ..EntryRecord::default() };
    ACTIVE.store(&mut record, Ordering::Relaxed);
    // SAFETY: forwarded from the caller; `record` lives on this stack frame until the call
    // returns (normally or through the landing pad), and is the active record meanwhile.
    let ok = unsafe {
        stub::enter(trampoline as usize, callee as usize, vmctx as usize, values.as_mut_ptr(), &mut record.saved_sp, stack_top as usize)
    };
    ACTIVE.store(outer, Ordering::Relaxed);
    match (ok, record.trap.take()) {
        (true, _) => Ok(()),
        (false, Some((site, image_start, vector))) => Err(TrapInfo {
            kind: site.kind,
            wasm_offset: site.wasm_offset,
            func: site.func,
            func_name: code::func_name(image_start, site.func),
            vector,
        }),
        (false, None) if record.cancelled => {
            let vector = if record.abandon && !owner_killed(&record) { ABANDONED } else { CANCELLED };
            Err(TrapInfo { kind: TrapKind::Unreachable, wasm_offset: 0, func: u32::MAX, func_name: None, vector })
        }
        (false, None) => unreachable!("the landing pad is only reached through `redirect` or a cancel"),
    }
}

//! Wasm traps from CPU faults. While a thread runs compiled code it has an active entry record
//! (the stack pointer saved by the entry stub). When an exception hits a recorded trap site of
//! loaded code, the handler stores what happened in the record and resumes at the stub's landing
//! pad, which returns "trapped" to whoever entered the code. Faults anywhere else stay fatal.
use alloc::string::String;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, Ordering};

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
#[derive(Default)]
pub struct EntryRecord {
    /// Written by the entry stub.
    pub saved_sp: usize,
    /// Written by the exception handler when the call trapped: the trap site, the start of its
    /// image, and the CPU vector (the function's name is looked up after the landing, so the
    /// handler never allocates).
    pub trap: Option<(TrapSite, u64, u8)>,
}

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
/// signature's arguments and results.
pub unsafe fn call(trampoline: u64, callee: u64, vmctx: u64, values: &mut [u64]) -> Result<(), TrapInfo> {
    let mut record = EntryRecord::default();
    let outer = ACTIVE.swap(&mut record, Ordering::Relaxed);
    // SAFETY: forwarded from the caller; `record` lives on this stack frame until the call
    // returns (normally or through the landing pad), and is the active record meanwhile.
    let ok = unsafe {
        stub::enter(trampoline as usize, callee as usize, vmctx as usize, values.as_mut_ptr(), &mut record.saved_sp)
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
        (false, None) => unreachable!("the landing pad is only reached through `redirect`"),
    }
}

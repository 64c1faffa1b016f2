//! Calls into compiled code on Linux: the shared entry stub (`hayabusa_runtime::stub`) plus the
//! per-thread record of where it saved its stack pointer, which the signal handler needs.

use std::cell::Cell;

thread_local! {
    /// Stack pointer to restore when a trap unwinds the innermost active call (0: none).
    static SAVED_SP: Cell<usize> = const { Cell::new(0) };
}

/// Address execution resumes at after a trap.
pub fn landing_address() -> usize {
    hayabusa_runtime::stub::landing_address()
}

/// Where the current thread's innermost Wasm call saved its stack pointer (0 if none).
pub fn saved_sp() -> usize {
    SAVED_SP.with(|c| c.get())
}

/// Calls `callee` (with `vmctx`) through `trampoline`, arguments and results in `values`.
/// Returns false if a trap aborted the call (the signal handler recorded which).
///
/// # Safety
/// `trampoline` must be the entry trampoline for the callee's signature, `callee`/`vmctx` a
/// valid function and its context, and `values` must hold max(params, results) slots.
/// `stack_top` is 0 (this thread's stack) or the 16-aligned end of a mapped stack nothing else
/// uses during the call (see `hayabusa_runtime::stub::enter`).
pub unsafe fn call(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, stack_top: usize) -> bool {
    let outer = SAVED_SP.with(|c| c.get());
    let mut slot: usize = 0;
    let slot_ptr: *mut usize = &mut slot;
    // Publish where the stub will store its stack pointer: the handler reads it through
    // SAVED_SP after the stub has written it.
    SAVED_SP.with(|c| c.set(slot_ptr as usize));
    // SAFETY: the caller guarantees the call's validity, and `slot_ptr` is published in
    // SAVED_SP, where the signal handler looks for it.
    let completed = unsafe { hayabusa_runtime::stub::enter(trampoline, callee, vmctx, values, slot_ptr, stack_top) };
    SAVED_SP.with(|c| c.set(outer));
    completed
}

//! The assembly entry stub: calls an entry trampoline and comes back with a flag when a signal
//! handler aborted the call, restoring the stack and callee-saved registers it saved.

use std::cell::Cell;

std::arch::global_asm!(
    ".globl hayabusa_enter",
    ".globl hayabusa_trap_landing",
    // hayabusa_enter(trampoline, callee, vmctx, values, saved_sp: *mut usize) -> u32
    "hayabusa_enter:",
    "push rbp",
    "mov rbp, rsp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 8",
    "mov [r8], rsp",
    "mov rax, rdi",
    "mov rdi, rsi",
    "mov rsi, rdx",
    "mov rdx, rcx",
    "call rax",
    "xor eax, eax",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    // Reached from the signal handler with rsp = the value saved by hayabusa_enter.
    "hayabusa_trap_landing:",
    "mov eax, 1",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
);

unsafe extern "C" {
    fn hayabusa_enter(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, saved_sp: *mut usize) -> u32;
    fn hayabusa_trap_landing();
}

thread_local! {
    /// Stack pointer to restore when a trap unwinds the innermost active call (0: none).
    static SAVED_SP: Cell<usize> = const { Cell::new(0) };
}

/// Address execution resumes at after a trap.
pub fn landing_address() -> usize {
    hayabusa_trap_landing as *const () as usize
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
pub unsafe fn call(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64) -> bool {
    let outer = SAVED_SP.with(|c| c.get());
    let mut slot: usize = 0;
    let slot_ptr: *mut usize = &mut slot;
    // Publish where the stub will store its stack pointer: the handler reads it through
    // SAVED_SP after the stub has written it.
    SAVED_SP.with(|c| c.set(slot_ptr as usize));
    // SAFETY: the caller guarantees the call's validity; the stub preserves the System V
    // callee-saved registers on both its normal and its trap return path.
    let trapped = unsafe { hayabusa_enter(trampoline, callee, vmctx, values, slot_ptr) } != 0;
    SAVED_SP.with(|c| c.set(outer));
    !trapped
}

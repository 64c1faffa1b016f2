//! The entry stub into compiled Wasm code, and its trap landing pad.
//!
//! `hayabusa_wasm_enter(trampoline, callee, vmctx, values, saved_sp)` saves the callee-saved
//! registers, stores its stack pointer at `*saved_sp`, and calls the module's entry trampoline
//! (which loads arguments from `values` and stores results back). It returns 0. When compiled code
//! traps, the exception handler resumes execution at `hayabusa_wasm_trap_landing` with RSP set to
//! the saved value: the landing pad unwinds the same frame and returns 1. Everything the aborted
//! Wasm frames held is simply abandoned, which is sound because compiled code owns no kernel
//! resources and holds no kernel locks.
use core::arch::global_asm;

global_asm!(
    ".globl hayabusa_wasm_enter",
    ".globl hayabusa_wasm_trap_landing",
    "hayabusa_wasm_enter:",
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
    "hayabusa_wasm_trap_landing:",
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

unsafe extern "sysv64" {
    fn hayabusa_wasm_enter(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, saved_sp: *mut u64) -> u32;
    fn hayabusa_wasm_trap_landing();
}

/// Address the exception handler resumes at after a trap in compiled code.
pub fn landing_address() -> u64 {
    hayabusa_wasm_trap_landing as *const () as u64
}

/// Calls `callee` through the entry trampoline `trampoline`. Returns `false` if the call ended
/// in a trap (the exception handler redirected it to the landing pad).
///
/// # Safety
/// `trampoline` and `callee` must be code addresses inside a loaded image, `vmctx` a context the
/// image's code was compiled against, `values` large enough for the signature's arguments and
/// results (8-byte slots), and `*saved_sp` registered as the running thread's active entry
/// record so the exception handler can find it.
pub unsafe fn enter(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, saved_sp: *mut u64) -> bool {
    // SAFETY: forwarded from the caller; the stub preserves every callee-saved register and
    // returns on both paths.
    unsafe { hayabusa_wasm_enter(trampoline, callee, vmctx, values, saved_sp) == 0 }
}

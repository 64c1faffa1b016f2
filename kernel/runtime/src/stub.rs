//! The entry stub into compiled code and its trap landing pad, shared by every platform.
//!
//! `hayabusa_enter(trampoline, callee, vmctx, values, saved_sp)` saves the callee-saved
//! registers, stores its stack pointer at `*saved_sp`, and calls the module's entry trampoline
//! (which loads arguments from `values` and stores results back); it returns 0. When compiled
//! code traps, the platform's fault handler (a signal handler on Linux, an exception handler in
//! the kernel) resumes execution at `hayabusa_trap_landing` with RSP set to the saved value: the
//! landing pad unwinds the same frame and returns 1. The aborted Wasm frames are abandoned, which
//! is sound because compiled code owns no resources of the embedder and holds none of its locks.
use core::arch::global_asm;

global_asm!(
    ".globl hayabusa_enter",
    ".globl hayabusa_trap_landing",
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
    "jmp 2f",
    "hayabusa_trap_landing:",
    "mov eax, 1",
    "2:",
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
    fn hayabusa_enter(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, saved_sp: *mut usize) -> u32;
    fn hayabusa_trap_landing();
}

/// Address the fault handler resumes at after a trap in compiled code.
pub fn landing_address() -> usize {
    hayabusa_trap_landing as *const () as usize
}

/// Calls `callee` through the entry trampoline `trampoline`. Returns `false` if the call ended
/// in a trap (the platform's fault handler redirected it to the landing pad).
///
/// # Safety
/// `trampoline` and `callee` must be code addresses inside a loaded image, `vmctx` a context the
/// image's code was compiled against, `values` large enough for the signature's arguments and
/// results (8-byte slots), and `saved_sp` registered with the platform's fault handler as the
/// running thread's innermost call, so that it can find the stack pointer to resume with.
pub unsafe fn enter(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, saved_sp: *mut usize) -> bool {
    // SAFETY: forwarded from the caller; the stub preserves every System V callee-saved
    // register and returns on both its normal and its trap path.
    unsafe { hayabusa_enter(trampoline, callee, vmctx, values, saved_sp) == 0 }
}

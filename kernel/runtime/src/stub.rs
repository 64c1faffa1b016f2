//! The entry stub into compiled code and its trap landing pad, shared by every platform.
//!
//! `hayabusa_enter(trampoline, callee, vmctx, values, saved_sp, stack_top)` saves the
//! callee-saved registers, moves to the stack ending at `stack_top` (0: stays on the caller's
//! stack) with the caller's stack pointer pushed first, stores its stack pointer at `*saved_sp`,
//! and calls the module's entry trampoline (which loads arguments from `values` and stores
//! results back); it returns 0. When compiled code traps, the platform's fault handler (a signal
//! handler on Linux, an exception handler in the kernel) resumes execution at
//! `hayabusa_trap_landing` with RSP set to the saved value: the landing pad pops the caller's
//! stack pointer, unwinds the same frame and returns 1. The aborted Wasm frames are abandoned,
//! which is sound because compiled code owns no resources of the embedder and holds none of its
//! locks.
//!
//! A call is also ended on purpose, outside any fault: `hayabusa_land(saved_sp)` ([`land`]) moves
//! to the saved stack pointer and jumps to the landing pad, which is how [`crate::cancel`]
//! abandons a killed task's call from an import or a builtin.
//!
//! Running on a stack of its own is how a server's handler is called on the IPC direct path: no
//! thread switch, only the stack pointer (and the platform's stack-limit record) change for the
//! call.
use core::arch::naked_asm;

/// The stub itself: a naked function (not `global_asm!`), so that Rust code calls it directly
/// rather than through the GOT of the position-independent kernel. `hayabusa_trap_landing` is a
/// global label inside it.
#[unsafe(naked)]
unsafe extern "sysv64" fn hayabusa_enter(
    _trampoline: usize,
    _callee: usize,
    _vmctx: usize,
    _values: *mut u64,
    _saved_sp: *mut usize,
    _stack_top: usize,
) -> u32 {
    naked_asm!(
        ".globl hayabusa_trap_landing",
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        // r10 = the caller's stack pointer; move to `stack_top` (r9) if one was given. Either
        // way the frame below is 16-aligned with the caller's stack pointer in its first slot.
        "mov r10, rsp",
        "test r9, r9",
        "cmovnz rsp, r9",
        "and rsp, -16",
        "sub rsp, 8",
        "push r10",
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
        // Back to the caller's stack (a no-op move when the call stayed on it).
        "pop rsp",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

unsafe extern "sysv64" {
    fn hayabusa_trap_landing();
}

/// Resumes at the landing pad with RSP = `saved_sp`: a naked function, like the stub.
#[unsafe(naked)]
unsafe extern "sysv64" fn hayabusa_land(_saved_sp: usize) -> ! {
    naked_asm!("mov rsp, rdi", "jmp hayabusa_trap_landing")
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
/// `stack_top` is 0 (run on the caller's stack) or the 16-aligned end of a mapped stack that
/// nothing else uses during the call, with room for the call (its platform stack limit must
/// say where that room ends).
pub unsafe fn enter(trampoline: usize, callee: usize, vmctx: usize, values: *mut u64, saved_sp: *mut usize, stack_top: usize) -> bool {
    debug_assert!(stack_top % 16 == 0, "stack_top must be 16-aligned");
    // SAFETY: forwarded from the caller; the stub preserves every System V callee-saved
    // register (and RSP: the caller's value is restored from the slot it pushed) and returns on
    // both its normal and its trap path.
    unsafe { hayabusa_enter(trampoline, callee, vmctx, values, saved_sp, stack_top) == 0 }
}

/// Ends the call whose entry stub saved `saved_sp` as if it had trapped: execution continues at
/// the landing pad, and [`enter`] returns `false` to its caller.
///
/// # Safety
/// `saved_sp` must be the value the stub stored for a call that is still running on this
/// thread's current stack (this code runs inside it, below the stub's frame). Every frame
/// between the stub and the caller of this function is abandoned: none may own anything that
/// needs dropping, or hold a lock.
pub unsafe fn land(saved_sp: usize) -> ! {
    // SAFETY: forwarded from the caller: the landing pad pops the caller's stack pointer from
    // `saved_sp`, restores the callee-saved registers the stub pushed and returns from it.
    unsafe { hayabusa_land(saved_sp) }
}

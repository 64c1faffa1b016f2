//! Signal handlers turning faults in compiled code (SIGSEGV/SIGBUS from guard pages, SIGILL from
//! `ud2` trap instructions, SIGFPE) into Wasm traps by resuming at the entry stub's landing pad.

use crate::code::lookup_trap;
use crate::platform::Linux;
use hayabusa_runtime::entry;
use std::cell::Cell;
use std::sync::{Once, OnceLock};

static INSTALL: Once = Once::new();

/// The dispositions our handlers replaced (Rust's own stack-overflow reporter, for instance),
/// restored for faults that are not ours.
static PREVIOUS: OnceLock<Vec<(libc::c_int, libc::sigaction)>> = OnceLock::new();
const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// Installs the handlers once per process, and an alternate signal stack for this thread.
pub fn install() {
    INSTALL.call_once(|| {
        let mut previous = Vec::new();
        for sig in SIGNALS {
            // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; we fill in
            // the handler and flags before installing it.
            let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
            sa.sa_sigaction = handler as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
            // SAFETY: a zeroed sigaction is valid storage for the previous disposition.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: installing a handler for a synchronous fault signal; `handler` has the
            // SA_SIGINFO signature; `old` receives the disposition it replaces.
            unsafe { libc::sigaction(sig, &sa, &mut old) };
            previous.push((sig, old));
        }
        let _ = PREVIOUS.set(previous);
    });
    install_alt_stack();
}

/// Makes the thread a signal handler interrupted resume at `(rip, rsp)` when the handler
/// returns: the entry stub's landing pad and the stack pointer it saved.
pub(crate) fn resume_at(uc: &mut libc::ucontext_t, (rip, rsp): (usize, usize)) {
    uc.uc_mcontext.gregs[libc::REG_RSP as usize] = rsp as i64;
    uc.uc_mcontext.gregs[libc::REG_RIP as usize] = rip as i64;
}

thread_local! {
    static ALT_STACK: Cell<bool> = const { Cell::new(false) };
}

fn install_alt_stack() {
    if ALT_STACK.with(|c| c.replace(true)) {
        return;
    }
    const SIZE: usize = 64 * 1024;
    // Leaked on purpose: the alternate stack must outlive every signal on this thread.
    let stack: &'static mut [u8] = Box::leak(vec![0u8; SIZE].into_boxed_slice());
    let ss = libc::stack_t { ss_sp: stack.as_mut_ptr().cast(), ss_flags: 0, ss_size: SIZE };
    // SAFETY: the stack memory is leaked, so it stays valid for the thread's lifetime.
    unsafe { libc::sigaltstack(&ss, std::ptr::null_mut()) };
}

extern "C" fn handler(sig: libc::c_int, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: for SA_SIGINFO handlers the kernel passes a valid ucontext_t as the third
    // argument; we only read and write its saved general-purpose registers.
    let uc = unsafe { &mut *ctx.cast::<libc::ucontext_t>() };
    let pc = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
    // The CPU exception behind the signal (#DE for SIGFPE, #UD for SIGILL, #PF for a guard
    // page), the cause the kernel reports for the same trap.
    let vector = uc.uc_mcontext.gregs[libc::REG_TRAPNO as usize] as u32;
    // A trap of loaded code inside an active call on this thread: recorded in the call's entry
    // record, which the entry stub filled (with the stack pointer to resume at) before calling
    // into Wasm.
    if let Some(landing) = entry::redirect::<Linux>(vector, || lookup_trap(pc)) {
        resume_at(uc, landing);
        return;
    }
    // Not ours: put back the disposition we replaced (or the default) and return, so the fault
    // repeats and is handled as if we had never been installed.
    match PREVIOUS.get().and_then(|p| p.iter().find(|(s, _)| *s == sig)) {
        // SAFETY: restoring a disposition the kernel gave us for this very signal.
        Some((_, old)) => unsafe {
            libc::sigaction(sig, old, std::ptr::null_mut());
        },
        // SAFETY: resetting a signal's disposition to SIG_DFL is always valid.
        None => unsafe {
            libc::signal(sig, libc::SIG_DFL);
        },
    }
}

//! Ending a killed task's calls on Linux, as the kernel does (the rules are
//! `hayabusa_runtime::cancel`, shared with it): each call into compiled code names an owner, the
//! kill flag of the task whose code it runs ([`set_owner`]); an import of a killed task leaves
//! through [`cancel_now`]; long builtins stop at their cancel points; and a thread running
//! compiled code is interrupted by a signal, the kernel's timer tick ([`ThreadHandle::poke`]).
//!
//! The signal is SIGURG. Its default disposition is to ignore it, so a stray one never ends the
//! process; neither the Rust standard library nor glibc use it (Go's runtime takes it for the
//! same job: preempting a running thread). The process leaves it to this crate: the first
//! [`ThreadHandle::current`] installs the handler over any other. The handler runs the shared
//! tick ([`hayabusa_runtime::cancel::on_tick`]): it counts one tick of grace for the thread's
//! innermost call, and if the thread was stopped in loaded compiled code and that call must end,
//! resumes it at the entry stub's landing pad with the stack pointer the stub saved, as the
//! fault handler does for a trap ([`crate::signals`]). The call returns `Err(Trap)` with cause
//! [`CANCELLED`] (0xff) or [`ABANDONED`] (0xfe).
//!
//! A poke to a thread that is not in compiled code changes nothing but the grace count: the
//! handler is installed with `SA_RESTART`, so the blocking system calls Linux restarts are
//! restarted; sleeps and futex waits may return early, which `std::thread::sleep` (it sleeps the
//! rest) and `park` (it may wake spuriously anyway) absorb. Standard signals are not queued:
//! pokes sent faster than the thread takes them may merge into one tick (more grace, never
//! less).
use crate::code;
use crate::enter;
use crate::platform::Linux;
use crate::signals;
use hayabusa_runtime::cancel;
use std::sync::Arc;
use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};

pub use hayabusa_runtime::cancel::{ABANDONED, CANCELLED, GRACE_TICKS};

/// The signal [`ThreadHandle::poke`] sends.
pub const POKE_SIGNAL: libc::c_int = libc::SIGURG;

/// Sets the running thread's owner: `flag` is the address of the kill flag (an `AtomicBool`) of
/// the task whose code the next calls into Wasm on this thread run, or 0 for none. The caller
/// keeps the flag alive as long as those calls run. Returns the previous owner, to be restored
/// after the calls. As in the kernel (`wasm::trap::set_owner`).
#[inline]
pub fn set_owner(flag: usize) -> usize {
    enter::replace_owner(flag)
}

/// Abandons the running thread's innermost call into compiled code: execution continues at the
/// entry stub's landing pad, and that call returns `Err(Trap)` with cause [`CANCELLED`] (or
/// [`ABANDONED`] when its grace ran out). For a host function (an import) of a killed task.
///
/// Every Rust frame between the entry stub and the caller is skipped without running
/// destructors: the host function, and the runtime's dispatch that called it, must own nothing
/// that needs dropping or holds a lock. A body given to `FuncHandle::host_raw` owns nothing of
/// the dispatch's; one given to `FuncHandle::host` leaks its argument vector.
///
/// # Panics
/// Outside a call into compiled code.
pub fn cancel_now() -> ! {
    cancel::cancel_now::<Linux>()
}

static INSTALL: Once = Once::new();

/// Installs the poke handler, once per process.
fn install() {
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; we fill in the
        // handler and flags before installing it.
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = on_poke as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
        // SAFETY: `on_poke` has the SA_SIGINFO signature and is async-signal-safe (thread-local
        // loads, a non-blocking lock attempt, writes to the interrupted context).
        let r = unsafe { libc::sigaction(POKE_SIGNAL, &sa, std::ptr::null_mut()) };
        assert_eq!(r, 0, "sigaction(SIGURG)");
    });
}

extern "C" fn on_poke(_sig: libc::c_int, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: for SA_SIGINFO handlers the kernel passes a valid ucontext_t as the third
    // argument; we only read and write its saved general-purpose registers.
    let uc = unsafe { &mut *ctx.cast::<libc::ucontext_t>() };
    let pc = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
    if let Some(landing) = cancel::on_tick::<Linux>(|| code::contains(pc)) {
        signals::resume_at(uc, landing);
    }
}

/// This thread's id for [`ThreadHandle`]s, set to 0 when the thread ends.
struct Tid(Arc<AtomicI32>);

impl Drop for Tid {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

thread_local! {
    // SAFETY: gettid has no preconditions and cannot fail.
    static TID: Tid = Tid(Arc::new(AtomicI32::new(unsafe { libc::gettid() })));
}

/// A thread that [`ThreadHandle::poke`] interrupts, from any thread.
#[derive(Clone, Debug)]
pub struct ThreadHandle {
    pid: libc::pid_t,
    /// The thread's id while it runs, 0 once it has ended.
    tid: Arc<AtomicI32>,
}

impl ThreadHandle {
    /// The running thread. Installs the poke handler (once per process).
    pub fn current() -> ThreadHandle {
        install();
        // SAFETY: getpid has no preconditions and cannot fail.
        let pid = unsafe { libc::getpid() };
        ThreadHandle { pid, tid: TID.with(|t| t.0.clone()) }
    }

    /// One tick for the thread: sends it [`POKE_SIGNAL`]. If it runs compiled code whose call
    /// must end (its owner was killed, or its grace ran out), that call ends now; otherwise the
    /// tick only counts towards the grace of its innermost call. Does nothing once the thread
    /// has ended.
    pub fn poke(&self) {
        let tid = self.tid.load(Ordering::Acquire);
        if tid == 0 {
            return;
        }
        // SAFETY: sends a signal whose handler is installed (`current`) to a thread of this
        // process; no memory is involved. A thread ends only after its `Tid` was cleared; the
        // id could be reused only after the thread is gone and the id space wrapped, between
        // the load above and this call, and then only by a thread of this process (tgkill
        // checks the process), which would take one spurious tick.
        unsafe { libc::tgkill(self.pid, tid, POKE_SIGNAL) };
    }
}

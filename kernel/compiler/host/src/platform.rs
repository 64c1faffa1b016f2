//! The Linux implementation of [`hayabusa_runtime::Platform`]: code in `mmap`ed pages, linear
//! memories as `PROT_NONE` reservations opened up with `mprotect`, traps from signals, cancels
//! ([`crate::cancel`]), and a per-thread stack limit below the outermost Wasm call.

use crate::code::{self, CodeMemory};
use crate::sys::Mapping;
use crate::{enter, signals};
use hayabusa_compiler::translate::GUARD_RESERVATION;
use hayabusa_compiler::Image;
use hayabusa_runtime::entry::{self, Ended};
use hayabusa_runtime::{CallStack, Platform, Trap, VMLimits, cancel};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of native stack Wasm may use below the outermost entry before trapping.
pub static STACK_BUDGET: AtomicUsize = AtomicUsize::new(4 << 20);

/// Stack kept free for host code below the deepest Wasm frame.
const HOST_STACK_RESERVE: usize = 256 << 10;

thread_local! {
    /// This thread's limits record (its address goes into the vmctx of every instance created
    /// on the thread; leaked, since those may outlive the thread's other state). Instances are
    /// `Send + Sync`, but their stack checks use this record of the creating thread: call them
    /// from that thread.
    static LIMITS: &'static VMLimits = Box::leak(Box::new(VMLimits::new(0)));
    /// This thread's number ([`Platform::current_thread`]), drawn from [`NEXT_THREAD`] at its
    /// first call (0: not yet). Never reused, unlike a thread-local address or a kernel thread
    /// id, so a thread that starts after another ended is never taken for it.
    static THREAD: Cell<usize> = const { Cell::new(0) };
}

/// The next thread number [`Platform::current_thread`] hands out.
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// This thread's lowest stack address, asked once: `pthread_getattr_np` reads
    /// `/proc/self/maps` for the main thread, tens of microseconds a time.
    static STACK_LOW: Option<usize> = crate::sys::current_stack_low();
}

/// Linux x86-64.
pub struct Linux;

/// A linear memory's reservation and how much of it is read-write.
pub struct LinuxMemory {
    map: Mapping,
    accessible: usize,
}

impl Platform for Linux {
    type Code = CodeMemory;
    type Memory = LinuxMemory;

    fn load_code(image: &Image) -> Result<CodeMemory, String> {
        CodeMemory::load(image).map_err(|e| format!("code memory: {e}"))
    }

    fn code_base(code: &CodeMemory) -> usize {
        code.base()
    }

    fn reserve_memory(accessible: u64) -> Result<LinuxMemory, String> {
        let map = Mapping::reserve(GUARD_RESERVATION as usize).map_err(|e| format!("linear memory: {e}"))?;
        let mut m = LinuxMemory { map, accessible: 0 };
        Linux::set_accessible(&mut m, accessible)?;
        Ok(m)
    }

    fn memory_base(m: &LinuxMemory) -> usize {
        m.map.as_ptr() as usize
    }

    fn set_accessible(m: &mut LinuxMemory, bytes: u64) -> Result<(), String> {
        let bytes = usize::try_from(bytes).ok().filter(|b| *b <= m.map.len()).ok_or("beyond the reservation")?;
        let (old, page) = (m.accessible, crate::sys::PAGE);
        let r = if bytes > old {
            let from = old / page * page;
            m.map.make_read_write(from, bytes - from)
        } else {
            let from = bytes.next_multiple_of(page);
            m.map.make_inaccessible(from, old.saturating_sub(from))
        };
        r.map_err(|e| format!("mprotect: {e}"))?;
        m.accessible = bytes;
        Ok(())
    }

    fn limits() -> &'static VMLimits {
        LIMITS.with(|l| *l)
    }

    #[inline]
    fn current_thread() -> usize {
        THREAD.with(|t| match t.get() {
            0 => {
                let n = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
                t.set(n);
                n
            }
            n => n,
        })
    }

    unsafe fn enter(trampoline: usize, callee: usize, vmctx: usize, values: &mut [u64], stack: Option<CallStack>) -> Result<(), Trap> {
        signals::install();
        if let Some(stack) = stack {
            // The call's own stack and limit, the thread's limit back afterwards.
            let outer = Linux::limits().stack_limit.swap(stack.limit, Ordering::Relaxed);
            // SAFETY: forwarded from the caller.
            let result = unsafe { entry::call::<Linux>(trampoline, callee, vmctx, values.as_mut_ptr(), stack.top) };
            Linux::limits().stack_limit.store(outer, Ordering::Relaxed);
            return result.map_err(to_trap);
        }
        if !enter::in_call() {
            // Outermost call on this thread: stop at the budget, and in any case well above the
            // thread's real stack end (host builtins and the signal handler still need room
            // below the Wasm frames).
            let here = &values as *const _ as usize;
            let mut limit = here.saturating_sub(STACK_BUDGET.load(Ordering::Relaxed));
            if let Some(low) = STACK_LOW.with(|low| *low) {
                limit = limit.max(low + HOST_STACK_RESERVE);
            }
            Linux::limits().stack_limit.store(limit, Ordering::Relaxed);
        }
        // SAFETY: forwarded from the caller.
        unsafe { entry::call::<Linux>(trampoline, callee, vmctx, values.as_mut_ptr(), 0) }.map_err(to_trap)
    }

    /// Ends the running call here if it must end (`crate::cancel`).
    fn cancel_point() {
        cancel::cancel_point::<Linux>();
    }
}

/// The trap to report for a call that ended without returning.
fn to_trap(ended: Ended) -> Trap {
    ended.into_trap(code::func_name)
}

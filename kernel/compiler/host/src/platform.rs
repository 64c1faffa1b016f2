//! The Linux implementation of [`hayabusa_runtime::Platform`]: code in `mmap`ed pages, linear
//! memories as `PROT_NONE` reservations opened up with `mprotect`, traps from signals, cancels
//! ([`crate::cancel`]), and stack limits: one record per instance, filled for the thread entering it.

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
    /// The stack limit of the stack this thread's Wasm code runs on now (0: no call yet), which
    /// [`Platform::enter`] writes into the record of the instance it enters.
    static STACK_LIMIT: Cell<usize> = const { Cell::new(0) };
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

    /// A record of its own for every instance (leaked: 8 bytes per instance, whose vmctx keeps
    /// its address), filled by [`Platform::enter`] for the thread entering the instance, so any
    /// thread may run it (one at a time).
    fn limits() -> &'static VMLimits {
        Box::leak(Box::new(VMLimits::new(0)))
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

    #[inline]
    unsafe fn enter(
        trampoline: usize,
        callee: usize,
        vmctx: usize,
        values: &mut [u64],
        stack: Option<CallStack>,
        limits: Option<&'static VMLimits>,
    ) -> Result<(), Trap> {
        let nested = enter::in_call();
        // A nested call runs where the outermost one already installed them.
        if !nested {
            signals::install();
        }
        let outer = STACK_LIMIT.with(Cell::get);
        let limit = match stack {
            // The call's own stack and limit.
            Some(stack) => stack.limit,
            // Outermost call on this thread: stop at the budget, and in any case well above the
            // thread's real stack end (host builtins and the signal handler still need room
            // below the Wasm frames).
            None if !nested => outermost_limit(),
            // Nested (a host function calling into Wasm): the same stack.
            None => outer,
        };
        STACK_LIMIT.with(|l| l.set(limit));
        // The callee's instance is ours for the call (the runtime's claim, or the caller's
        // guarantee for `call_raw_on`): its record describes this thread's stack meanwhile, and
        // what it said before (another thread's, blocked outside Wasm) comes back afterwards.
        // Nobody else writes it meanwhile, so a load and a store do (no locked exchange).
        let previous = limits.map(|l| {
            let previous = l.stack_limit.load(Ordering::Relaxed);
            l.stack_limit.store(limit, Ordering::Relaxed);
            previous
        });
        let top = stack.map_or(0, |s| s.top);
        // SAFETY: forwarded from the caller.
        let result = unsafe { entry::call::<Linux>(trampoline, callee, vmctx, values.as_mut_ptr(), top) };
        // Put back only what this call put there: the instance's own thread leaving its last
        // call (a killed server's, say) must not undo a handler call that another thread made
        // meanwhile and that is still running on the record.
        if let (Some(l), Some(previous)) = (limits, previous)
            && l.stack_limit.load(Ordering::Relaxed) == limit
        {
            l.stack_limit.store(previous, Ordering::Relaxed);
        }
        STACK_LIMIT.with(|l| l.set(outer));
        result.map_err(to_trap)
    }

    /// Ends the running call here if it must end (`crate::cancel`).
    fn cancel_point() {
        cancel::cancel_point::<Linux>();
    }
}

/// The stack limit of an outermost call on this thread: the budget below this frame.
#[cold]
#[inline(never)]
fn outermost_limit() -> usize {
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let limit = here.saturating_sub(STACK_BUDGET.load(Ordering::Relaxed));
    match STACK_LOW.with(|low| *low) {
        Some(low) => limit.max(low + HOST_STACK_RESERVE),
        None => limit,
    }
}

/// The trap to report for a call that ended without returning.
#[cold]
fn to_trap(ended: Ended) -> Trap {
    ended.into_trap(code::func_name)
}

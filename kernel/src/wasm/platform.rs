//! The kernel's implementation of `hayabusa_runtime::Platform`: code in the code area, linear
//! memories in lazy reservations, traps from the exception handlers, and one stack-limit record
//! that always describes the stack in use: the scheduler saves and restores its value with each
//! thread, and a call on a stack of its own (a server's handler) swaps it for the call.
use alloc::format;
use alloc::string::String;
use core::sync::atomic::Ordering;

use hayabusa_compiler::translate::GUARD_RESERVATION;
use hayabusa_compiler::{Image, TrapKind};
use hayabusa_runtime::{CallStack, Platform, Trap, VMLimits};

use super::code::{self, CodeMemory};
use super::trap;
use crate::mm::{self, Reservation};

/// Bytes kept free below the stack limit for what runs on the same stack below the deepest Wasm
/// frame: builtins, host functions, exception and interrupt handlers.
pub const STACK_MARGIN: u64 = 64 * 1024;

/// The stack limit compiled code checks: every vmctx points here. 0 means the stack in use has
/// no known bounds (the boot thread's), and calls into Wasm are refused.
///
/// One CPU: one record. With several CPUs this becomes one record per CPU (the vmctx would
/// point at the CPU's own), saved and restored the same way.
static LIMITS: VMLimits = VMLimits::new(0);

/// The stack limit for a stack whose lowest usable address is `stack_bottom` (0: unknown).
pub fn limit_for(stack_bottom: u64) -> usize {
    if stack_bottom == 0 { 0 } else { (stack_bottom + STACK_MARGIN) as usize }
}

/// The running thread's current stack limit (for the scheduler to save when it switches away).
pub fn stack_limit() -> usize {
    LIMITS.stack_limit.load(Ordering::Relaxed)
}

/// Installs the stack limit of the thread about to run (saved by [`stack_limit`], or
/// [`limit_for`] its stack when new). Called by the scheduler on every switch, interrupts
/// disabled.
pub fn set_stack_limit(limit: usize) {
    LIMITS.stack_limit.store(limit, Ordering::Relaxed);
}

/// The runtime on this kernel.
pub struct Kernel;

/// The runtime's types in the kernel.
pub type Instance = hayabusa_runtime::Instance<Kernel>;
pub type Store = hayabusa_runtime::Store<Kernel>;
pub type Extern = hayabusa_runtime::Extern<Kernel>;
pub type FuncHandle = hayabusa_runtime::FuncHandle<Kernel>;
pub type Memory = hayabusa_runtime::Memory<Kernel>;

// Wasm tasks run on their own kernel threads, and the IPC direct path runs a server's handler on
// the caller's thread: everything the runtime hands out must cross threads. (`CodeMemory` and
// `Reservation` hold plain addresses, so they are `Send + Sync` without help.)
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Instance>();
    assert_send_sync::<Store>();
    assert_send_sync::<Extern>();
    assert_send_sync::<FuncHandle>();
    assert_send_sync::<hayabusa_runtime::Memory<Kernel>>();
};

fn to_trap(ended: trap::Ended) -> Trap {
    ended.into_trap(|image, func| code::func_name(image as u64, func))
}

impl Platform for Kernel {
    type Code = CodeMemory;
    type Memory = Reservation;

    fn load_code(image: &Image) -> Result<CodeMemory, String> {
        CodeMemory::load(image).map_err(|e| format!("code area: {e:?}"))
    }

    fn code_base(code: &CodeMemory) -> usize {
        code.base() as usize
    }

    fn reserve_memory(accessible: u64) -> Result<Reservation, String> {
        mm::reserve(GUARD_RESERVATION, accessible).map_err(|e| match e {
            mm::ReserveError::OutOfMemory => format!(
                "out of memory: a linear memory of {} KiB does not fit ({} KiB left for tasks)",
                accessible / 1024,
                mm::stats().for_tasks * 4
            ),
            e => format!("linear memory: {e}"),
        })
    }

    fn memory_base(memory: &Reservation) -> usize {
        memory.start() as usize
    }

    fn set_accessible(memory: &mut Reservation, bytes: u64) -> Result<(), String> {
        memory.set_accessible(bytes).map_err(|e| format!("linear memory: {e}"))
    }

    fn limits() -> &'static VMLimits {
        &LIMITS
    }

    fn cancel_point() {
        trap::cancel_point();
    }

    /// The scheduler's running thread, plus one (the boot thread is 0): one load.
    #[inline]
    fn current_thread() -> usize {
        crate::sched::current() as usize + 1
    }

    /// Every instance checks the one record (`limits` is always it), kept right by the scheduler.
    #[inline]
    unsafe fn enter(
        trampoline: usize,
        callee: usize,
        vmctx: usize,
        values: &mut [u64],
        stack: Option<CallStack>,
        _limits: Option<&'static VMLimits>,
    ) -> Result<(), Trap> {
        let Some(stack) = stack else {
            if LIMITS.stack_limit.load(Ordering::Relaxed) == 0 {
                // No stack bounds to check against: only spawned threads may run Wasm.
                return Err(Trap::new(TrapKind::StackOverflow));
            }
            // SAFETY: forwarded from the caller.
            return unsafe { trap::call(trampoline as u64, callee as u64, vmctx as u64, values, 0) }.map_err(to_trap);
        };
        // The limit belongs to the stack in use: the call's own while it runs (the scheduler
        // saves and restores it with this thread if it is preempted meanwhile), ours afterwards.
        // A load and a store: the record belongs to the running thread (see above).
        let outer = LIMITS.stack_limit.load(Ordering::Relaxed);
        LIMITS.stack_limit.store(stack.limit, Ordering::Relaxed);
        // SAFETY: forwarded from the caller (who vouches for the stack: `call_raw_on`).
        let result = unsafe { trap::call(trampoline as u64, callee as u64, vmctx as u64, values, stack.top as u64) };
        LIMITS.stack_limit.store(outer, Ordering::Relaxed);
        result.map_err(to_trap)
    }
}

//! The kernel's implementation of `hayabusa_runtime::Platform`: code in the code area, linear
//! memories in lazy reservations, traps from the exception handlers, and one stack-limit record
//! the scheduler points at the running thread's stack.
use alloc::format;
use alloc::string::String;
use core::sync::atomic::Ordering;

use hayabusa_compiler::translate::GUARD_RESERVATION;
use hayabusa_compiler::{Image, TrapKind};
use hayabusa_runtime::{Platform, Trap, VMLimits};

use super::code::CodeMemory;
use super::trap;
use crate::mm::{self, Reservation};

/// Bytes kept free below the stack limit for what runs on the same stack below the deepest Wasm
/// frame: builtins, host functions, exception and interrupt handlers.
const STACK_MARGIN: u64 = 64 * 1024;

/// The stack limit compiled code checks: every vmctx points here. 0 means the running thread
/// has no known stack bounds (the boot thread), and calls into Wasm are refused.
static LIMITS: VMLimits = VMLimits::new(0);

/// Points the stack limit at the thread about to run, whose lowest usable stack address is
/// `stack_bottom` (0: unknown). Called by the scheduler on every switch, interrupts disabled.
pub fn switch_stack(stack_bottom: u64) {
    let limit = if stack_bottom == 0 { 0 } else { stack_bottom + STACK_MARGIN };
    LIMITS.stack_limit.store(limit as usize, Ordering::Relaxed);
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
        mm::reserve(GUARD_RESERVATION, accessible).map_err(|e| format!("linear memory: {e:?}"))
    }

    fn memory_base(memory: &Reservation) -> usize {
        memory.start() as usize
    }

    fn set_accessible(memory: &mut Reservation, bytes: u64) -> Result<(), String> {
        memory.set_accessible(bytes).map_err(|e| format!("linear memory: {e:?}"))
    }

    fn limits() -> &'static VMLimits {
        &LIMITS
    }

    unsafe fn enter(trampoline: usize, callee: usize, vmctx: usize, values: &mut [u64]) -> Result<(), Trap> {
        if LIMITS.stack_limit.load(Ordering::Relaxed) == 0 {
            // No stack bounds to check against: only spawned threads may run Wasm.
            return Err(Trap::new(TrapKind::StackOverflow));
        }
        // SAFETY: forwarded from the caller.
        unsafe { trap::call(trampoline as u64, callee as u64, vmctx as u64, values) }
            .map_err(|t| Trap::at(t.kind, t.wasm_offset, t.func, t.func_name, u32::from(t.vector)))
    }
}

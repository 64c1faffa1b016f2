//! The one interface between the task layer and the system it runs on: the kernel, or the hosted
//! runner on Linux. What differs between the two — threads, blocking and waking, the clock,
//! output, the program files, compiling, handler stacks and cancelling a task's running code —
//! comes through [`System`]; everything else (the task table, the IPC paths, kernel requests,
//! task endings, the console's task commands) is written once in this crate.
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use hayabusa_abi::Error;
use hayabusa_compiler::{CompiledModule, OptLevel};
use hayabusa_ipc::TaskId;
use hayabusa_manifest::Manifest;
use hayabusa_runtime::{CallStack, Platform};

use crate::State;

/// A thread of the system: a kernel thread, or an OS thread of the hosted runner. Never 0, and
/// below 2^32 (an endpoint keeps the thread serving it in half a word).
pub type ThreadId = u64;

/// Why [`System::compile`] failed.
pub enum CompileFailure {
    /// The module is not valid Wasm, or uses what the compiler does not support.
    Invalid(alloc::string::String),
    /// No memory for the compile (its thread or stack).
    NoMemory,
}

/// What the task layer needs from the system. Implemented by a zero-sized type; all functions
/// are called from task threads and the console.
pub trait System: Sized + Send + Sync + 'static {
    /// The runtime's platform under the tasks.
    type P: Platform;
    /// The lock of the task table. It is held briefly, never across a call into Wasm; [`wake`]
    /// is called under it. The kernel's disables interrupts (no preemption while held).
    ///
    /// [`wake`]: System::wake
    type Lock: lock_api::RawMutex + Send + Sync + 'static;
    /// A native stack for a server's handler on the IPC direct path, released when dropped.
    type Stack: Send + Sync + 'static;

    /// The task layer's state for this system: one `static` the system owns ([`State::new`]).
    fn state() -> &'static State<Self>;

    /// Starts a thread named `name` with a stack of `stack` bytes running `f`; `None` when out
    /// of memory for it.
    fn spawn(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> Option<ThreadId>;
    /// Runs `f` on a new thread with a stack of `stack` bytes and waits for it to end; false if
    /// no thread could be made.
    fn run_on_thread(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> bool;
    /// The running thread.
    fn current() -> ThreadId;
    /// Blocks the running thread until [`System::wake`] is called for it. A wake that came since
    /// the last `block` returned makes it return at once; it may also return for no reason:
    /// callers loop on their own condition.
    fn block();
    /// Makes `thread`'s [`System::block`] return (now, or at its next call).
    fn wake(thread: ThreadId);
    /// Lets other threads run.
    fn yield_now();
    /// Whether `thread` is blocked (`None`: no such thread), for `ps`.
    fn blocked(thread: ThreadId) -> Option<bool>;

    /// Nanoseconds since the system started.
    fn uptime_ns() -> u64;
    /// The cycle counter (TSC), for benchmarks.
    fn cycles() -> u64;
    /// Cycle counter ticks per second.
    fn cycles_hz() -> u64;

    /// Prints one line of console output (a report of a task's end, a command's answer).
    fn print(line: fmt::Arguments);
    /// Writes a task's SERIAL_WRITE bytes as they are.
    fn serial_write(bytes: &[u8]);

    /// The manifest, if the system has a valid one.
    fn manifest() -> Option<&'static Manifest<'static>>;
    /// A native program the system runs for program file `file` instead of its module
    /// ([`crate::native`]: the hosted runner's `tcpip`); the kernel has none.
    fn native(file: &str) -> Option<crate::native::NativeBody<Self>> {
        let _ = file;
        None
    }
    /// The bytes of program file `file`.
    fn module(file: &str) -> Option<&'static [u8]>;
    /// Compiles `wasm` as the kernel does (guard-page bounds checks) at `opt`; the module and
    /// how long the compile took, in ns.
    fn compile(wasm: &'static [u8], opt: OptLevel) -> Result<(CompiledModule, u64), CompileFailure>;
    /// Bytes of memory left for tasks (a compile starts only if its estimated peak fits).
    fn memory_left() -> u64;

    /// A handler stack of `size` usable bytes, guard below; `None` when out of memory.
    fn handler_stack(size: u64) -> Option<Self::Stack>;
    /// How the runtime calls on `stack` (`FuncHandle::call_raw_on`).
    fn call_stack(stack: &Self::Stack) -> CallStack;

    /// Sets the owner that calls into Wasm made from now on on this thread name: the address of
    /// the kill flag (an `AtomicBool`) of the task whose code they run, or 0. Returns the
    /// previous owner. A killed owner's running code is abandoned at its next import, cancel
    /// point or tick.
    fn set_owner(owner: usize) -> usize;
    /// Abandons the running thread's innermost call into Wasm (it returns a cancelled trap).
    /// Called from an import of a killed task; every frame between is skipped without being
    /// dropped, so nothing there may own anything.
    fn cancel_now() -> !;
    /// Task `thread`'s owner was killed: make sure its code is abandoned soon even if it never
    /// reaches an import (the kernel's timer does this by itself).
    fn kick(thread: ThreadId);
    /// The trap cause (CPU vector) of a call abandoned because the thread running it belonged
    /// to a killed task and the call did not return within the grace period.
    const ABANDONED: u32;
    /// That grace period, in milliseconds (for reports).
    const GRACE_MS: u64;

    /// A device request (DEVICE_OPEN, PCI_CONFIG, DEVICE_MAP, IRQ_ACK, `docs/abi.md`) of task
    /// `task`, whose linear memory is `memory` (its code is stopped in this call); the reply's
    /// payload. DEVICE_OPEN's permission (the manifest's `device`) is checked already. A system
    /// without devices answers `UNSUPPORTED`.
    fn device_request(task: TaskId, kind: u32, payload: &[u8], memory: &crate::Memory<Self>) -> Result<Vec<u8>, Error> {
        let _ = (task, kind, payload, memory);
        Err(Error::Unsupported)
    }

    /// Whether the machine has device `name` (`virtio-net`): the manifest's `boot = if DEVICE`.
    fn has_device(name: &str) -> bool {
        let _ = name;
        false
    }

    /// Task `id` ended (its code runs no more): what the system gave it, a device, is released.
    fn task_ended(id: TaskId) {
        let _ = id;
    }
}

/// `println!` for a system.
#[macro_export]
macro_rules! say {
    ($s:ty, $($arg:tt)*) => {
        <$s as $crate::System>::print(format_args!($($arg)*))
    };
}

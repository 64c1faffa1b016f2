//! The one interface between the runtime and the system it runs on.

use crate::func::VMLimits;

/// A stack for one call into compiled code, other than the calling thread's
/// ([`crate::FuncHandle::call_raw_on`]): its 16-aligned end, and the stack limit compiled code
/// checks while it runs there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallStack {
    pub top: usize,
    pub limit: usize,
}
use crate::values::Trap;
use alloc::string::String;
use hayabusa_compiler::Image;

/// What the runtime needs from the operating system. Implemented by a zero-sized type:
/// `hayabusa_compiler_host::Linux` (mmap, signals) and the kernel's `wasm::platform::Kernel`
/// (lazy reservations, the code area, exception handlers). All functions are called on the thread
/// that runs the Wasm code — which may be a different thread for each call, so the loaded code
/// and the reservations must be `Send + Sync` (they are owned by instances and memories that any
/// thread may hold).
pub trait Platform: 'static {
    /// A loaded code image: a read + execute copy of [`Image::code`] whose trap table is known to
    /// the fault handler until it is dropped.
    type Code: Send + Sync + 'static;
    /// A reservation of [`hayabusa_compiler::translate::GUARD_RESERVATION`] bytes whose first
    /// `accessible` bytes are readable and writable (zero-filled when first made so) and whose
    /// rest faults. Released when dropped.
    type Memory: Send + Sync + 'static;

    /// Maps `image` executable and registers its trap sites.
    fn load_code(image: &Image) -> Result<Self::Code, String>;
    /// Address of code offset 0.
    fn code_base(code: &Self::Code) -> usize;

    /// Reserves a linear memory with `accessible` bytes usable.
    fn reserve_memory(accessible: u64) -> Result<Self::Memory, String>;
    /// Address of the reservation's first byte.
    fn memory_base(memory: &Self::Memory) -> usize;
    /// Makes exactly the first `bytes` of the reservation accessible (`memory.grow`). Bytes that
    /// stay accessible keep their contents.
    fn set_accessible(memory: &mut Self::Memory, bytes: u64) -> Result<(), String>;

    /// The stack-limit record compiled code checks in every function prologue, asked once per
    /// instance that imports no other instance's functions (one that does shares the record of
    /// the first it imports from, since their code calls each other directly); its address goes
    /// into the instance's vmctx, so it must live forever. A platform may hand every instance the
    /// same record and keep its `stack_limit` right for whichever thread runs Wasm (the kernel:
    /// one CPU, the scheduler swaps the value), or a record per instance that
    /// [`Platform::enter`] fills for the thread entering it (Linux: any thread may run an
    /// instance, one at a time). Linked only through a table or a `ref.func` value, two
    /// instances keep their own records: a record never entered says 0, no limit.
    fn limits() -> &'static VMLimits;

    /// A non-zero number naming the running thread, different for every thread alive at the
    /// same time: the owner [`crate::FuncHandle::call_raw`] records in the instance it runs, so
    /// that another thread's call is refused and the same thread's (a host function calling back
    /// in) is not. Called on every such call: it must be cheap (a thread-local address, a
    /// scheduler's current-thread word), not a system call.
    fn current_thread() -> usize;

    /// Calls `callee` with context `vmctx` through the entry trampoline `trampoline`, arguments
    /// and results in `values`. `limits` is the record the callee's code checks (its instance's
    /// [`Platform::limits`]; `None` for a host function's trampoline). A fault at a trap site of loaded code ends the call with `Err`,
    /// naming the trap kind, function, Wasm offset and the platform's cause. With `stack`, the
    /// call runs on that stack and compiled code checks `stack.limit` for its duration (the
    /// previous limit is back when it returns, normally or by a trap).
    ///
    /// # Safety
    /// `trampoline` must be the entry trampoline of the callee's signature in loaded code,
    /// `callee`/`vmctx` a function of loaded code and a context it was compiled against (or a
    /// host trampoline and its host context), kept alive for the call, and `values` must have a
    /// slot for every argument and every result. A `stack` must be mapped, used by nothing else
    /// during the call, with its limit far enough above its lowest address for the platform's
    /// own code (builtins, host functions, fault handlers) below the deepest Wasm frame.
    unsafe fn enter(
        trampoline: usize,
        callee: usize,
        vmctx: usize,
        values: &mut [u64],
        stack: Option<CallStack>,
        limits: Option<&'static VMLimits>,
    ) -> Result<(), Trap>;

    /// Called by long builtins (`memory.fill`, `memory.copy`, `memory.init`) between chunks of
    /// [`crate::builtins::CHUNK`] bytes, on the thread running the call: a platform that cancels
    /// calls (the kernel's `kill`) abandons the running call here, returning through
    /// [`Platform::enter`] as a trap. The builtin holds no lock and owns nothing that needs
    /// dropping at that point. By default, nothing.
    fn cancel_point() {}
}

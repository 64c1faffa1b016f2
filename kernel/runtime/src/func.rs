//! Functions: the `VMFuncRef` records compiled code calls through, host functions, the stack
//! limit record, handles the embedder calls, and the per-instance word that keeps two threads
//! from running one instance at once ([`Running`]).

use crate::platform::{CallStack, Platform};
use crate::values::{Trap, Val};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::any::Any;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicUsize, Ordering};
use hayabusa_compiler::{Sig, TrapKind};

/// Layout of [`hayabusa_compiler::env::vmctx::funcref`].
#[repr(C)]
pub struct VMFuncRef {
    pub code: usize,
    pub vmctx: usize,
    pub type_id: u32,
    pub _pad: u32,
}

/// Layout of [`hayabusa_compiler::env::vmctx::limits`]: functions trap with stack exhaustion
/// when their frame would reach below `stack_limit`. One record per platform thread (or one the
/// platform keeps current), see [`Platform::limits`].
#[repr(C)]
pub struct VMLimits {
    pub stack_limit: AtomicUsize,
}

impl VMLimits {
    pub const fn new(stack_limit: usize) -> VMLimits {
        VMLimits { stack_limit: AtomicUsize::new(stack_limit) }
    }
}

/// A host function's body: arguments in, results out. `Send + Sync`: it runs on whichever thread
/// calls into the instance that imports it.
pub type HostFn = dyn Fn(&[Val]) -> Vec<Val> + Send + Sync;

/// A host function's body on raw 8-byte slots (see [`Val::write_slots`]; a `v128` takes two):
/// arguments in, results written over them; [`Sig::slots`] of them. No allocation on the call
/// path.
pub type RawHostFn = dyn Fn(&mut [u64]) + Send + Sync;

pub enum HostBody {
    Vals(Box<HostFn>),
    Raw(Box<RawHostFn>),
}

pub struct HostFunc {
    pub(crate) sig: Sig,
    /// `sig.slots()`, computed once: every call needs it.
    slots: usize,
    /// Private with `dispatch`, which must stay the dispatcher made for it.
    body: HostBody,
    /// What host trampolines call with a [`HostCtx`] for this function: [`host_dispatch`], or
    /// for a raw body of a known type the dispatcher made for that type ([`raw_dispatch`]),
    /// which calls it directly rather than through its vtable.
    dispatch: usize,
}

impl HostFunc {
    fn new(sig: Sig, body: HostBody, dispatch: usize) -> HostFunc {
        HostFunc { slots: sig.slots(), sig, body, dispatch }
    }

    #[inline]
    fn slots(&self) -> usize {
        self.slots
    }

    /// Runs the body on `slots` (at least [`HostFunc::slots`] of them).
    #[inline]
    fn run(&self, slots: &mut [u64]) {
        match &self.body {
            HostBody::Raw(f) => f(slots),
            HostBody::Vals(f) => {
                let args = Val::read_all(&self.sig.params, slots);
                Val::write_all(&self.sig.results, &f(&args), slots);
            }
        }
    }
}

/// What a host trampoline's vmctx points at ([`hayabusa_compiler::env::vmctx::host`]).
#[repr(C)]
pub struct HostCtx {
    pub callback: usize,
    pub func: Arc<HostFunc>,
    /// The raw body's closure (what [`raw_dispatch`] calls), null for other bodies.
    body: *const (),
}

// SAFETY: `body` points into the `Box` that `func` owns and never changes; the closure it
// points at is `Send + Sync` (a `RawHostFn`).
unsafe impl Send for HostCtx {}
// SAFETY: as for `Send`: only shared references to the closure are ever made from it.
unsafe impl Sync for HostCtx {}

impl HostCtx {
    pub fn new(func: Arc<HostFunc>) -> Box<HostCtx> {
        let body = match &func.body {
            HostBody::Raw(f) => &**f as *const RawHostFn as *const (),
            HostBody::Vals(_) => core::ptr::null(),
        };
        Box::new(HostCtx { callback: func.dispatch, func, body })
    }
}

/// The dispatcher of a raw body of type `F` ([`FuncHandle::host_raw`]): the body is called
/// directly, inlined here, not through its vtable.
extern "C" fn raw_dispatch<F: Fn(&mut [u64])>(ctx: *const HostCtx, values: *mut u64) {
    // SAFETY: as for `host_dispatch`; this dispatcher is only chosen for a `HostBody::Raw`
    // holding an `F` (`FuncHandle::host_raw`), whose closure `body` points at, kept alive by
    // `func`.
    let (f, slots) = unsafe {
        let ctx = &*ctx;
        (&*ctx.body.cast::<F>(), core::slice::from_raw_parts_mut(values, ctx.func.slots))
    };
    f(slots)
}

extern "C" fn host_dispatch(ctx: *const HostCtx, values: *mut u64) {
    // SAFETY: host trampolines pass the HostCtx their VMFuncRef was built with (kept alive by
    // the owning instance) and a stack array of max(params, results, 1) slots.
    let ctx = unsafe { &*ctx };
    // SAFETY: see above: `values` has `slots()` initialised slots.
    let slots = unsafe { core::slice::from_raw_parts_mut(values, ctx.func.slots()) };
    ctx.func.run(slots);
}

/// Which thread runs an instance's code: 0 when none does, else that thread's
/// [`Platform::current_thread`]. One per instance. [`FuncHandle::call`] and
/// [`FuncHandle::call_raw`] claim it (idle → this thread) with one compare-and-swap before
/// entering the instance's code and release it when that call returns, normally or by a trap;
/// a call while another thread holds it is refused with [`TrapKind::ConcurrentCall`]. Calls on
/// the thread that holds it (a host function calling back into its instance) nest inside the
/// claim: their depth is the native call stack, and only the outermost call releases it.
///
/// The acquire on claiming and the release on releasing also order everything one call wrote
/// (linear memory, globals, tables) before the next call on another thread (see
/// [`crate::vmcell::VmCell`]).
pub struct Running(AtomicUsize);

impl Default for Running {
    fn default() -> Self {
        Running::new()
    }
}

impl Running {
    /// Idle.
    pub const fn new() -> Running {
        Running(AtomicUsize::new(0))
    }

    /// Claims the instance for the running thread, or finds it already claimed by this thread
    /// (a nested call). Refused if another thread runs it.
    #[inline]
    fn claim<P: Platform>(&self) -> Result<Claim<'_>, Trap> {
        let me = P::current_thread();
        debug_assert_ne!(me, 0, "Platform::current_thread must not be 0");
        match self.0.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => Ok(Claim(Some(self))),
            // Only this thread stores its own id, so a relaxed read of it is exact.
            Err(owner) if owner == me => Ok(Claim(None)),
            Err(_) => Err(Trap::new(TrapKind::ConcurrentCall)),
        }
    }
}

/// A claim on [`Running`] for one call: the outermost call on a thread holds `Some` and makes
/// the instance idle again when dropped (also if the call unwinds); a nested call holds `None`.
struct Claim<'a>(Option<&'a Running>);

impl Drop for Claim<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(running) = self.0 {
            running.0.store(0, Ordering::Release);
        }
    }
}

/// A callable function: compiled code reached through a `VMFuncRef`, or a plain host function.
/// `Send + Sync`: any thread may call it; a call into an instance that another thread is running
/// is refused ([`Running`]). No runtime lock is held while it runs.
pub struct FuncHandle<P: Platform> {
    pub sig: Sig,
    /// `sig.slots()`, computed once: every call checks it.
    pub(crate) slots: usize,
    /// Address of the `VMFuncRef` (as in [`Val::FuncRef`]); 0 for a host function not (yet)
    /// imported by any instance. The record never changes once built.
    pub(crate) funcref: usize,
    /// Entry trampoline for `sig` (absolute address), when `funcref` is not null.
    pub(crate) entry: usize,
    /// Address of the [`Running`] word of the instance whose code `funcref` enters: the
    /// function's own instance, also when the handle comes from an instance that imports it; 0
    /// for a host function (imported or not), which runs no instance's code. Kept alive by
    /// `_owner`, as `funcref` is.
    pub(crate) running: usize,
    /// Address of the stack-limit record the code `funcref` enters checks (its instance's
    /// [`Platform::limits`]); 0 for a host function.
    pub(crate) limits: usize,
    pub(crate) host: Option<Arc<HostFunc>>,
    /// Keeps the code and contexts `funcref` points into alive.
    pub(crate) _owner: Option<Arc<dyn Any + Send + Sync>>,
    pub(crate) _platform: PhantomData<fn() -> P>,
}

impl<P: Platform> Clone for FuncHandle<P> {
    fn clone(&self) -> Self {
        FuncHandle {
            sig: self.sig.clone(),
            slots: self.slots,
            funcref: self.funcref,
            entry: self.entry,
            running: self.running,
            limits: self.limits,
            host: self.host.clone(),
            _owner: self._owner.clone(),
            _platform: PhantomData,
        }
    }
}

impl<P: Platform> FuncHandle<P> {
    /// A host function: importing instances call `f` through a host trampoline.
    pub fn host(sig: Sig, f: Box<HostFn>) -> FuncHandle<P> {
        Self::host_body(sig, HostBody::Vals(f), host_dispatch as *const () as usize)
    }

    /// A host function working on raw slots, for hot paths (no allocation per call; the body
    /// is called directly from its own dispatcher).
    pub fn host_raw<F: Fn(&mut [u64]) + Send + Sync + 'static>(sig: Sig, f: F) -> FuncHandle<P> {
        Self::host_body(sig, HostBody::Raw(Box::new(f)), raw_dispatch::<F> as *const () as usize)
    }

    fn host_body(sig: Sig, body: HostBody, dispatch: usize) -> FuncHandle<P> {
        let host = Arc::new(HostFunc::new(sig.clone(), body, dispatch));
        FuncHandle { slots: sig.slots(), sig, funcref: 0, entry: 0, running: 0, limits: 0, host: Some(host), _owner: None, _platform: PhantomData }
    }

    /// The function's reference as Wasm code sees it (the word of [`Val::FuncRef`]): equal for
    /// handles on the same function, 0 for a host function no instance has imported.
    pub fn funcref(&self) -> usize {
        self.funcref
    }

    /// Slots [`FuncHandle::call_raw`] needs: [`Sig::slots`], `max(params, results, 1)` with a
    /// `v128` counting two.
    #[inline]
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Calls the function. A trap in compiled code comes back as `Err`. Arguments beyond the
    /// signature's are ignored, missing ones are zero. Refused with
    /// [`TrapKind::ConcurrentCall`] if another thread is running the function's instance (see
    /// [`FuncHandle::call_raw`]).
    pub fn call(&self, args: &[Val]) -> Result<Vec<Val>, Trap> {
        let mut values = vec![0u64; self.slots()];
        Val::write_all(&self.sig.params, args, &mut values);
        self.call_raw(&mut values)?;
        Ok(Val::read_all(&self.sig.results, &values))
    }

    /// Calls the function on raw slots ([`Val::to_slot`]): arguments in, results written over
    /// them. No allocation of its own.
    ///
    /// One thread at a time runs an instance: the call claims the instance of the function for
    /// this thread until it returns ([`Running`]; one compare-and-swap and one store), and is
    /// refused with [`TrapKind::ConcurrentCall`], before any Wasm code runs, while another thread
    /// holds it. A call from the thread that holds it (a host function calling back into its
    /// instance) runs. Host functions run no instance's code and are not checked.
    ///
    /// # Panics
    /// If `values` has fewer than [`FuncHandle::slots`] slots.
    #[inline]
    pub fn call_raw(&self, values: &mut [u64]) -> Result<(), Trap> {
        if self.running == 0 {
            return self.call_raw_with(values, None);
        }
        // SAFETY: a non-zero `running` is the address of the `Running` word of a live instance,
        // kept alive by `_owner` (directly, or through the `_imported` handles of the instance
        // that imported the function).
        let running = unsafe { &*(self.running as *const Running) };
        let _claim = running.claim::<P>()?;
        self.call_raw_with(values, None)
    }

    /// [`FuncHandle::call_raw`] on `stack` instead of the calling thread's stack: only the stack
    /// pointer and the stack limit change for the call (how a server's handler runs on a stack
    /// of its own on the IPC direct path).
    ///
    /// Unlike [`FuncHandle::call_raw`] it neither claims nor checks the instance ([`Running`]):
    /// it runs even while another thread holds the instance (as the IPC direct path runs a
    /// server's handler from the caller's thread while the server's own thread is inside
    /// `_start`, blocked in `ipc_recv`), and costs nothing extra.
    ///
    /// # Safety
    /// `stack` must be a mapped stack that nothing else uses until the call returns, with its
    /// limit far enough above its lowest address for the platform's code that runs below the
    /// deepest Wasm frame (see [`Platform::enter`]).
    ///
    /// The caller also takes over what the check guarantees: no other thread runs code of this
    /// function's instance until the call returns — any thread holding the instance stays
    /// outside compiled code meanwhile (blocked in a host function, say), and no other unchecked
    /// call runs it (the kernel's endpoint claim provides both) — so that the two never touch
    /// its linear memory, globals, tables or vmctx at the same time. As for checked calls,
    /// instances sharing a memory, table or global with it are the caller's concern too (see
    /// the crate's `# Threads`).
    ///
    /// # Panics
    /// As [`FuncHandle::call_raw`].
    #[inline]
    pub unsafe fn call_raw_on(&self, values: &mut [u64], stack: CallStack) -> Result<(), Trap> {
        self.call_raw_with(values, Some(stack))
    }

    #[inline]
    fn call_raw_with(&self, values: &mut [u64], stack: Option<CallStack>) -> Result<(), Trap> {
        assert!(values.len() >= self.slots(), "call_raw needs {} slots", self.slots());
        if self.funcref == 0 {
            self.host.as_ref().expect("host function or funcref").run(values);
            return Ok(());
        }
        // SAFETY: `funcref` points at a live VMFuncRef (kept alive by `_owner`) whose code has
        // signature `sig`; `entry` is the entry trampoline compiled for `sig` in the same loaded
        // code; `values` has max(params, results) slots (asserted above); a `stack` is only given
        // through `call_raw_on`, whose caller vouches for it. A non-zero `limits` is the address
        // of a record that lives for ever (`Platform::limits`).
        unsafe {
            let fr = &*(self.funcref as *const VMFuncRef);
            let limits = (self.limits != 0).then(|| &*(self.limits as *const VMLimits));
            P::enter(self.entry, fr.code, fr.vmctx, values, stack, limits)
        }
    }
}

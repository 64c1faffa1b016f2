//! Functions: the `VMFuncRef` records compiled code calls through, host functions, and handles
//! the embedder calls.

use crate::values::{Trap, Val};
use crate::{enter, signals};
use hayabusa_compiler::{Sig, TrapKind};
use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Layout of [`hayabusa_compiler::env::vmctx::funcref`].
#[repr(C)]
pub struct VMFuncRef {
    pub code: usize,
    pub vmctx: usize,
    pub type_id: u32,
    pub _pad: u32,
}

/// A host function's body: arguments in, results out.
pub type HostFn = dyn Fn(&[Val]) -> Vec<Val>;

pub struct HostFunc {
    pub sig: Sig,
    pub f: Box<HostFn>,
}

/// What a host trampoline's vmctx points at ([`hayabusa_compiler::env::vmctx::host`]).
#[repr(C)]
pub struct HostCtx {
    pub callback: usize,
    pub func: Rc<HostFunc>,
}

impl HostCtx {
    pub fn new(func: Rc<HostFunc>) -> Box<HostCtx> {
        Box::new(HostCtx { callback: host_dispatch as *const () as usize, func })
    }
}

extern "C" fn host_dispatch(ctx: *const HostCtx, values: *mut u64) {
    // SAFETY: host trampolines pass the HostCtx their VMFuncRef was built with (kept alive by
    // the owning instance) and a stack array of max(params, results, 1) slots.
    let ctx = unsafe { &*ctx };
    let sig = &ctx.func.sig;
    let n = sig.params.len().max(sig.results.len()).max(1);
    // SAFETY: see above: `values` has `n` initialised slots.
    let slots = unsafe { std::slice::from_raw_parts_mut(values, n) };
    let args: Vec<Val> = sig.params.iter().zip(slots.iter()).map(|(t, s)| Val::from_slot(*t, *s)).collect();
    let results = (ctx.func.f)(&args);
    for (slot, v) in slots.iter_mut().zip(results) {
        *slot = v.to_slot();
    }
}

/// Bytes of native stack Wasm may use below the outermost entry before trapping.
pub static STACK_BUDGET: AtomicUsize = AtomicUsize::new(4 << 20);

/// Stack kept free for host code below the deepest Wasm frame.
const HOST_STACK_RESERVE: usize = 256 << 10;

/// `VMLimits` of [`hayabusa_compiler::env::vmctx::limits`].
#[repr(C)]
pub struct VMLimits {
    pub stack_limit: Cell<usize>,
}

thread_local! {
    static LIMITS: &'static VMLimits = Box::leak(Box::new(VMLimits { stack_limit: Cell::new(0) }));
}

/// This thread's limits record (its address goes into every vmctx).
pub fn limits_ptr() -> *const VMLimits {
    LIMITS.with(|l| *l as *const VMLimits)
}

/// A callable function: compiled code reached through a `VMFuncRef`, or a plain host function.
#[derive(Clone)]
pub struct FuncHandle {
    pub sig: Sig,
    /// Null for a host function not (yet) imported by any instance.
    pub(crate) funcref: *const VMFuncRef,
    /// Entry trampoline for `sig` (absolute address), when `funcref` is not null.
    pub(crate) entry: usize,
    pub(crate) host: Option<Rc<HostFunc>>,
    /// Keeps the code and contexts `funcref` points into alive.
    pub(crate) _owner: Option<Rc<dyn Any>>,
}

impl FuncHandle {
    pub fn host(sig: Sig, f: Box<HostFn>) -> FuncHandle {
        let host = Rc::new(HostFunc { sig: sig.clone(), f });
        FuncHandle { sig, funcref: std::ptr::null(), entry: 0, host: Some(host), _owner: None }
    }

    /// Calls the function. A trap in compiled code comes back as `Err`.
    pub fn call(&self, args: &[Val]) -> Result<Vec<Val>, Trap> {
        if self.funcref.is_null() {
            let h = self.host.as_ref().expect("host function or funcref");
            return Ok((h.f)(args));
        }
        signals::install();
        let n = self.sig.params.len().max(self.sig.results.len()).max(1);
        let mut values = vec![0u64; n];
        for (slot, a) in values.iter_mut().zip(args) {
            *slot = a.to_slot();
        }
        let outermost = enter::saved_sp() == 0;
        if outermost {
            // Stop at the budget, and in any case well above the thread's real stack end (host
            // builtins and the signal handler still need room below the Wasm frames).
            let here = &values as *const _ as usize;
            let mut limit = here.saturating_sub(STACK_BUDGET.load(Ordering::Relaxed));
            if let Some(low) = crate::sys::current_stack_low() {
                limit = limit.max(low + HOST_STACK_RESERVE);
            }
            LIMITS.with(|l| l.stack_limit.set(limit));
        }
        // SAFETY: `funcref` points at a live VMFuncRef (kept alive by `owner`) whose code has
        // signature `sig`; `entry` is the entry trampoline compiled for `sig`; `values` has
        // max(params, results) slots.
        let ok = unsafe {
            let fr = &*self.funcref;
            enter::call(self.entry, fr.code, fr.vmctx, values.as_mut_ptr())
        };
        if !ok {
            let site = signals::take_trap();
            let kind = site.map_or(TrapKind::Unreachable, |(s, _)| s.kind);
            let mut trap = Trap::new(kind);
            if let Some((s, region)) = site {
                trap.wasm_offset = s.wasm_offset;
                trap.func = crate::code::func_name(region, s.func).unwrap_or_else(|| format!("func[{}]", s.func));
            }
            return Err(trap);
        }
        Ok(self.sig.results.iter().zip(values).map(|(t, s)| Val::from_slot(*t, s)).collect())
    }
}

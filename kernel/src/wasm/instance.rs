//! Instances of compiled modules inside the kernel, for modules without imports or tables: one
//! linear memory (or none), globals, active data segments, a start function, exported functions.
//! Anything else is refused with a clear error. (The full instance model — imports, tables,
//! element segments — lives in the host runtime today; moving it into a platform-neutral crate
//! the kernel shares is the next step.)
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use hayabusa_compiler::env::builtins::{Builtin, COUNT as BUILTIN_COUNT};
use hayabusa_compiler::env::vmctx;
use hayabusa_compiler::module::{ExternKind, SegmentMode, ValType};
use hayabusa_compiler::{CompiledModule, TrapKind};

use super::code::CodeMemory;
use super::memory::LinearMemory;
use super::trap::{self, TrapInfo};

/// Bytes kept free below the stack limit for the exception handler and builtins, which run on
/// the same stack as the Wasm code.
const STACK_MARGIN: u64 = 64 * 1024;

/// Why a module could not be instantiated.
#[derive(Debug)]
pub enum InstantiateError {
    /// The module needs something this runtime does not provide yet.
    Unsupported(String),
    /// No memory for code, linear memory or bookkeeping.
    Resources(String),
    /// A data segment did not fit, or the start function trapped.
    Trap(String),
}

impl fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiateError::Unsupported(m) => write!(f, "unsupported by the kernel runtime: {m}"),
            InstantiateError::Resources(m) => write!(f, "out of resources: {m}"),
            InstantiateError::Trap(m) => write!(f, "instantiation trapped: {m}"),
        }
    }
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    NoSuchExport(String),
    WrongArguments { expected: usize, given: usize },
    /// The thread has no known stack bounds (only spawned threads may run Wasm).
    NoStackLimit,
    Trap(TrapInfo),
}

/// The stack limit compiled code checks in every prologue (`VMLimits`).
#[repr(C)]
struct VMLimits {
    stack_limit: u64,
}

pub struct Instance {
    module: CompiledModule,
    code: CodeMemory,
    vmctx: Box<[u64; vmctx::SIZE / 8]>,
    memory: Option<LinearMemory>,
    _global_cells: Box<[u64]>,
    _global_ptrs: Box<[u64]>,
    _builtins: Box<[u64; BUILTIN_COUNT]>,
    limits: Box<VMLimits>,
}

fn unsupported(what: impl Into<String>) -> InstantiateError {
    InstantiateError::Unsupported(what.into())
}

impl Instance {
    /// Loads the module's code, creates its memory and globals, applies its data segments and
    /// runs its start function. Returned boxed: compiled code holds its address.
    pub fn new(module: CompiledModule, wasm: &[u8]) -> Result<Box<Instance>, InstantiateError> {
        let info = &module.info;
        if let Some(import) = info.imports.first() {
            return Err(unsupported(format!("imports ({}::{})", import.module, import.name)));
        }
        if !info.tables.is_empty() || !info.elements.is_empty() {
            return Err(unsupported("tables and element segments"));
        }
        if info.data.iter().any(|d| !matches!(d.mode, SegmentMode::Active { .. })) {
            return Err(unsupported("passive data segments"));
        }
        if info.memories.len() > 1 {
            return Err(unsupported("more than one memory"));
        }
        let code = CodeMemory::load(&module.image).map_err(|e| InstantiateError::Resources(format!("code: {e:?}")))?;
        let memory = match info.memories.first() {
            Some(limits) => Some(
                LinearMemory::new(limits.min, limits.max)
                    .map_err(|e| InstantiateError::Resources(format!("linear memory: {e:?}")))?,
            ),
            None => None,
        };
        let mut cells = vec![0u64; info.globals.len()].into_boxed_slice();
        for (i, global) in info.globals.iter().enumerate() {
            let init = global.init.as_ref().ok_or_else(|| unsupported("imported globals"))?;
            let value = init.eval(&|g| cells.get(g as usize).copied().unwrap_or(0), &|_| 0);
            cells[i] = value;
        }
        let global_ptrs: Box<[u64]> = cells.iter().map(|c| c as *const u64 as u64).collect();
        let mut builtins = Box::new([0u64; BUILTIN_COUNT]);
        builtins[Builtin::MemoryGrow.index()] = memory_grow as *const () as u64;
        builtins[Builtin::MemoryFill.index()] = memory_fill as *const () as u64;
        builtins[Builtin::MemoryCopy.index()] = memory_copy as *const () as u64;
        builtins[Builtin::MemoryInit.index()] = memory_init as *const () as u64;
        builtins[Builtin::DataDrop.index()] = data_drop as *const () as u64;
        // The table builtins stay null: validation rejects table instructions in a module
        // without tables, which `new` has checked, so compiled code cannot reach them.
        let limits = Box::new(VMLimits { stack_limit: u64::MAX });
        let mut instance = Box::new(Instance {
            vmctx: Box::new([0; vmctx::SIZE / 8]),
            code,
            memory,
            _global_cells: cells,
            _global_ptrs: global_ptrs,
            _builtins: builtins,
            limits,
            module,
        });
        instance.fill_vmctx();
        for (i, segment) in instance.module.info.data.clone().iter().enumerate() {
            let SegmentMode::Active { offset, .. } = &segment.mode else { continue };
            let at = offset.eval(&|g| instance.global(g), &|_| 0) as u32;
            let bytes = wasm.get(segment.bytes.clone()).ok_or_else(|| InstantiateError::Trap(format!("data segment {i} lies outside the module")))?;
            let fits = instance.memory.as_mut().is_some_and(|m| m.write(u64::from(at), bytes));
            if !fits {
                return Err(InstantiateError::Trap(format!("data segment {i} out of bounds of memory")));
            }
        }
        if let Some(start) = instance.module.info.start {
            instance.call_index(start, &[]).map_err(|e| InstantiateError::Trap(format!("start function: {e:?}")))?;
        }
        Ok(instance)
    }

    fn fill_vmctx(&mut self) {
        let this = self as *mut Instance as u64;
        let slot = |offset: i32| offset as usize / 8;
        let vm = &mut self.vmctx;
        if let Some(m) = &self.memory {
            vm[slot(vmctx::HEAP_BASE)] = m.base();
            vm[slot(vmctx::MEMORY)] = m.vm_ptr();
        }
        vm[slot(vmctx::LIMITS)] = &*self.limits as *const VMLimits as u64;
        vm[slot(vmctx::GLOBALS)] = self._global_ptrs.as_ptr() as u64;
        vm[slot(vmctx::BUILTINS)] = self._builtins.as_ptr() as u64;
        vm[slot(vmctx::INSTANCE)] = this;
    }

    fn global(&self, index: u32) -> u64 {
        self._global_cells.get(index as usize).copied().unwrap_or(0)
    }

    /// The module this instance runs.
    pub fn module(&self) -> &CompiledModule {
        &self.module
    }

    /// The linear memory, if the module has one.
    pub fn memory(&self) -> Option<&LinearMemory> {
        self.memory.as_ref()
    }

    /// Calls the exported function `name` with raw argument bits (i32 zero-extended, floats as
    /// their bits); returns the raw result bits.
    pub fn call(&mut self, name: &str, args: &[u64]) -> Result<Vec<u64>, CallError> {
        let export = self.module.info.exports.iter().find(|e| e.name == name && e.kind == ExternKind::Func);
        let index = export.ok_or_else(|| CallError::NoSuchExport(String::from(name)))?.index;
        self.call_index(index, args)
    }

    /// Parameter and result types of the exported function `name`.
    pub fn signature(&self, name: &str) -> Option<(Vec<ValType>, Vec<ValType>)> {
        let info = &self.module.info;
        let export = info.exports.iter().find(|e| e.name == name && e.kind == ExternKind::Func)?;
        let sig = info.func_sig(export.index);
        Some((sig.params.clone(), sig.results.clone()))
    }

    fn call_index(&mut self, func: u32, args: &[u64]) -> Result<Vec<u64>, CallError> {
        let info = &self.module.info;
        let sig = info.func_sig(func);
        if args.len() != sig.params.len() {
            return Err(CallError::WrongArguments { expected: sig.params.len(), given: args.len() });
        }
        let bottom = crate::sched::current_stack_bottom();
        if bottom == 0 {
            return Err(CallError::NoStackLimit);
        }
        self.limits.stack_limit = bottom + STACK_MARGIN;
        let type_index = info.funcs[func as usize] as usize;
        let image = &self.module.image;
        let trampoline = self.code.base() + u64::from(image.entry_trampolines[type_index]);
        let offset = image.func_offset(info.num_imported_funcs, func).expect("local function (no imports)");
        let callee = self.code.base() + u64::from(offset);
        let mut values = vec![0u64; sig.params.len().max(sig.results.len()).max(1)];
        values[..args.len()].copy_from_slice(args);
        let results = sig.results.len();
        let vmctx = self.vmctx.as_ptr() as u64;
        // SAFETY: `trampoline` is the entry trampoline of the callee's type and `callee` a local
        // function of this instance's image, both inside `self.code`; `vmctx` is this instance's
        // context, filled by `fill_vmctx` and pointing at data that lives as long as `self`;
        // `values` has a slot for every argument and result.
        unsafe { trap::call(trampoline, callee, vmctx, &mut values) }.map_err(CallError::Trap)?;
        values.truncate(results);
        Ok(values)
    }
}

/// The instance a builtin was called for.
///
/// # Safety
/// `vm` must be the vmctx of a live `Instance`, passed by its compiled code.
unsafe fn instance<'a>(vm: *const u64) -> &'a mut Instance {
    // SAFETY: per the contract, slot INSTANCE holds the address of the boxed instance, which
    // outlives every call into its code; compiled code holds no other reference to it.
    unsafe { &mut *(*vm.add(vmctx::INSTANCE as usize / 8) as *mut Instance) }
}

const OOB: u32 = TrapKind::MemoryOutOfBounds as u32;

extern "C" fn memory_grow(vm: *const u64, delta: u32) -> u32 {
    // SAFETY: builtins are only called by compiled code, with its own vmctx.
    let inst = unsafe { instance(vm) };
    inst.memory.as_mut().and_then(|m| m.grow(u64::from(delta))).map_or(u32::MAX, |old| old as u32)
}

extern "C" fn memory_fill(vm: *const u64, dst: u32, value: u32, len: u32) -> u32 {
    // SAFETY: as in `memory_grow`.
    let inst = unsafe { instance(vm) };
    let ok = inst.memory.as_mut().is_some_and(|m| m.fill(u64::from(dst), value as u8, u64::from(len)));
    if ok { 0 } else { OOB }
}

extern "C" fn memory_copy(vm: *const u64, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as in `memory_grow`.
    let inst = unsafe { instance(vm) };
    let ok = inst.memory.as_mut().is_some_and(|m| m.copy_within(u64::from(dst), u64::from(src), u64::from(len)));
    if ok { 0 } else { OOB }
}

/// `memory.init`: only active segments exist here, and they are dropped once applied, so
/// every segment is empty: only a zero-length copy from offset 0 within bounds succeeds.
extern "C" fn memory_init(vm: *const u64, _segment: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as in `memory_grow`.
    let inst = unsafe { instance(vm) };
    let ok = src == 0 && len == 0 && inst.memory.as_ref().is_some_and(|m| m.in_bounds(u64::from(dst), 0));
    if ok { 0 } else { OOB }
}

/// `data.drop`: active segments are already dropped after instantiation.
extern "C" fn data_drop(_vm: *const u64, _segment: u32) {}

//! Instantiation: resolving imports, creating memories, tables and globals, filling the vmctx,
//! applying element and data segments, running the start function; and exports.

use crate::func::{FuncHandle, HostCtx, VMFuncRef};
use crate::global::Global;
use crate::limits::{ResourceLimits, TableBudget};
use crate::memory::Memory;
use crate::platform::Platform;
use crate::table::Table;
use crate::types::{Space, canonical_id, canonical_sig, canonical_val};
use crate::values::{Trap, Val};
use crate::vmcell::VmCell;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use hayabusa_compiler::env::vmctx;
use hayabusa_compiler::module::{ExternKind, GlobalType, ImportKind, Limits, SegmentMode};
use hayabusa_compiler::{CompiledModule, TrapKind};
use spin::Mutex;

/// Something an instance exports or imports.
pub enum Extern<P: Platform> {
    Func(FuncHandle<P>),
    Table(Arc<Table>),
    Memory(Arc<Memory<P>>),
    Global(Arc<Global>),
}

impl<P: Platform> Clone for Extern<P> {
    fn clone(&self) -> Self {
        match self {
            Extern::Func(f) => Extern::Func(f.clone()),
            Extern::Table(t) => Extern::Table(t.clone()),
            Extern::Memory(m) => Extern::Memory(m.clone()),
            Extern::Global(g) => Extern::Global(g.clone()),
        }
    }
}

#[derive(Debug)]
pub enum InstantiateError {
    /// An import is missing or has the wrong type.
    Unlinkable(String),
    /// A segment was out of bounds or the start function trapped.
    Trap(Trap),
    /// The host could not provide a resource (memory reservation).
    Resource(String),
}

impl fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiateError::Unlinkable(m) => write!(f, "unlinkable: {m}"),
            InstantiateError::Trap(t) => write!(f, "instantiation trapped: {t}"),
            InstantiateError::Resource(m) => write!(f, "resource: {m}"),
        }
    }
}

impl core::error::Error for InstantiateError {}

/// An instance's state; compiled code reaches it through its vmctx.
pub struct InstanceInner<P: Platform> {
    pub module: Arc<CompiledModule>,
    pub code: P::Code,
    /// Written while instantiating only; compiled code reads it: see [`VmCell`].
    vmctx: Box<VmCell<[u64; vmctx::SIZE / 8]>>,
    _builtins: Box<[usize]>,
    _type_ids: Box<[u32]>,
    funcs: Box<[usize]>,
    _global_cells: Box<[usize]>,
    _table_ptrs: Box<[usize]>,
    _local_funcrefs: Box<[VMFuncRef]>,
    _host_funcrefs: Vec<(Box<VMFuncRef>, Box<HostCtx>)>,
    /// Keep imported functions' owners alive.
    _imported: Vec<FuncHandle<P>>,
    /// Linear memories by index (imports first); the task layer sees only memory 0.
    pub memories: Vec<Arc<Memory<P>>>,
    _memory_ptrs: Box<[usize]>,
    pub tables: Vec<Arc<Table>>,
    pub globals: Vec<Arc<Global>>,
    /// Data segment contents (emptied by `data.drop` and after active initialisation).
    pub data: Mutex<Vec<Vec<u8>>>,
    /// Element segment items (emptied by `elem.drop` and after active initialisation).
    pub elems: Mutex<Vec<Vec<u64>>>,
    /// The thread running this instance's code, for one thread at a time: see [`crate::func::Running`].
    pub running: crate::func::Running,
    /// The stack-limit record this instance's code checks ([`Platform::limits`], asked once).
    pub limits: &'static crate::func::VMLimits,
}

/// A live instance. `Send + Sync`: any thread may call into it, one thread at a time — the safe
/// calls check it (see the crate's `# Threads`, and [`VmCell`] for why that is the rule).
pub struct Instance<P: Platform>(pub Arc<InstanceInner<P>>);

impl<P: Platform> Clone for Instance<P> {
    fn clone(&self) -> Self {
        Instance(self.0.clone())
    }
}

/// Owns every instance created in it until dropped. Instances hand out raw pointers to their
/// functions (through tables, globals and imports), so none may die before the others: an
/// instance whose initialisation failed half-way also stays here, as the spec requires.
pub struct Store<P: Platform> {
    instances: Mutex<Vec<Instance<P>>>,
    limits: ResourceLimits,
    /// Table elements the store's instances may still create.
    tables: Arc<TableBudget>,
}

impl<P: Platform> Default for Store<P> {
    fn default() -> Self {
        Store::with_limits(ResourceLimits::UNLIMITED)
    }
}

impl<P: Platform> Store<P> {
    pub fn new() -> Store<P> {
        Store::default()
    }

    /// A store whose instances' memories and tables stay within `limits`.
    pub fn with_limits(limits: ResourceLimits) -> Store<P> {
        Store { instances: Mutex::new(Vec::new()), limits, tables: Arc::new(TableBudget::new(limits.table_elements)) }
    }

    pub fn limits(&self) -> ResourceLimits {
        self.limits
    }
}

fn limits_match(actual_min: u64, actual_max: Option<u64>, want: &Limits) -> bool {
    actual_min >= want.min
        && match want.max {
            None => true,
            Some(m) => actual_max.is_some_and(|am| am <= m),
        }
}

fn unlinkable(module: &str, name: &str, why: &str) -> InstantiateError {
    InstantiateError::Unlinkable(format!("{why}: {module}::{name}"))
}

impl<P: Platform> Instance<P> {
    /// Instantiates `module` (compiled from `wasm`), asking `resolve(module, name)` for each
    /// import. The instance stays in `store` even if its initialisation traps.
    pub fn new(
        store: &Store<P>,
        module: Arc<CompiledModule>,
        wasm: &[u8],
        resolve: &dyn Fn(&str, &str) -> Option<Extern<P>>,
    ) -> Result<Instance<P>, InstantiateError> {
        let info = &module.info;
        let res = InstantiateError::Resource;
        let code = P::load_code(&module.image).map_err(res)?;
        let base = P::code_base(&code);
        let vm: Box<VmCell<[u64; vmctx::SIZE / 8]>> = Box::new(VmCell::new([0; vmctx::SIZE / 8]));
        let vm_addr = vm.as_ptr() as usize;

        let mut funcs: Vec<usize> = Vec::new();
        let mut host_funcrefs = Vec::new();
        let mut imported_funcs = Vec::new();
        let mut memories = Vec::new();
        let mut tables = Vec::new();
        let mut globals = Vec::new();
        for imp in &info.imports {
            let (m, n) = (imp.module.as_str(), imp.name.as_str());
            let ext = resolve(m, n).ok_or_else(|| unlinkable(m, n, "unknown import"))?;
            match (&imp.kind, ext) {
                (ImportKind::Func(t), Extern::Func(h)) => {
                    let sig = &info.types[*t as usize];
                    if h.sig != canonical_sig(sig, &info.types) {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    if h.funcref == 0 {
                        let ctx = HostCtx::new(h.host.clone().expect("host function"));
                        let fr = Box::new(VMFuncRef {
                            code: base + module.image.host_trampolines[*t as usize] as usize,
                            vmctx: &*ctx as *const HostCtx as usize,
                            type_id: canonical_id(sig, Space::Module(&info.types)),
                            _pad: 0,
                        });
                        funcs.push(&*fr as *const VMFuncRef as usize);
                        host_funcrefs.push((fr, ctx));
                    } else {
                        funcs.push(h.funcref);
                    }
                    imported_funcs.push(h);
                }
                (ImportKind::Table(d), Extern::Table(t)) => {
                    if t.elem != canonical_val(d.elem, &info.types) || !limits_match(t.len(), t.max, &d.limits) {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    tables.push(t);
                }
                (ImportKind::Memory(l), Extern::Memory(mem)) => {
                    if !limits_match(mem.pages(), mem.max_pages, l) {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    memories.push(mem);
                }
                (ImportKind::Global(g), Extern::Global(gl)) => {
                    let want = canonical_val(g.ty, &info.types);
                    // An immutable global may be of a subtype; a mutable one must be equal.
                    let ty_ok = if g.mutable { gl.ty.ty == want } else { gl.ty.ty.matches(want) };
                    if gl.ty.mutable != g.mutable || !ty_ok {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    globals.push(gl);
                }
                _ => return Err(unlinkable(m, n, "incompatible import type")),
            }
        }

        let local_funcrefs: Box<[VMFuncRef]> = module
            .image
            .funcs
            .iter()
            .map(|f| VMFuncRef {
                code: base + f.code_offset as usize,
                vmctx: vm_addr,
                type_id: canonical_id(info.func_sig(f.index), Space::Module(&info.types)),
                _pad: 0,
            })
            .collect();
        funcs.extend(local_funcrefs.iter().map(|r| r as *const VMFuncRef as usize));

        let func_ref = |i: u32| funcs[i as usize] as u64;
        for g in &info.globals[info.num_imported_globals as usize..] {
            let init = g.init.as_ref().expect("local global has an initialiser");
            let v = init.eval_wide(&|i| globals[i as usize].get().to_bits(), &func_ref);
            let ty = GlobalType { ty: canonical_val(g.ty.ty, &info.types), mutable: g.ty.mutable };
            globals.push(Arc::new(Global::new(ty, Val::from_bits(ty.ty, v))));
        }
        let global_value = |i: u32| globals[i as usize].get().to_slot();
        for d in &info.tables[info.num_imported_tables as usize..] {
            let init = d.init.as_ref().map_or(0, |e| e.eval(&global_value, &func_ref));
            let t = Table::new_in(canonical_val(d.elem, &info.types), d.limits.min, d.limits.max, init, Some(store.tables.clone())).map_err(res)?;
            tables.push(Arc::new(t));
        }
        // Each memory has its own reservation (guard pages included) and its own cap.
        for l in &info.memories[info.num_imported_memories as usize..] {
            memories.push(Arc::new(Memory::with_cap(*l, store.limits.memory_pages).map_err(res)?));
        }

        let elems: Vec<Vec<u64>> = info
            .elements
            .iter()
            .map(|s| s.items.iter().map(|e| e.eval(&global_value, &func_ref)).collect())
            .collect();
        // Passive segments are kept for `memory.init`; active ones are written from `wasm` by
        // `initialise` and never copied (a module's data may be most of its size).
        let mut data: Vec<Vec<u8>> = Vec::with_capacity(info.data.len());
        for d in &info.data {
            let bytes = wasm.get(d.bytes.clone()).ok_or_else(|| res("data segment outside the module binary".into()))?;
            data.push(if matches!(d.mode, SegmentMode::Passive) { bytes.to_vec() } else { Vec::new() });
        }

        let builtins = crate::builtins::table::<P>();
        let type_ids: Box<[u32]> = info.types.iter().map(|s| canonical_id(s, Space::Module(&info.types))).collect();
        let global_cells: Box<[usize]> = globals.iter().map(|g| g.cell_ptr() as usize).collect();
        let table_ptrs: Box<[usize]> = tables.iter().map(|t| t.vm_ptr() as usize).collect();
        let memory_ptrs: Box<[usize]> = memories.iter().map(|m| m.vm_ptr() as usize).collect();
        let funcs = funcs.into_boxed_slice();
        // An instance that imports another instance's functions checks that instance's record:
        // its code calls theirs directly, and whoever enters either fills the one record. (Such
        // linked instances are run from one thread at a time: see the crate's `# Threads`.)
        let limits = match imported_funcs.iter().find(|f| f.limits != 0) {
            // SAFETY: a non-zero `limits` is the address of a record that lives for ever
            // (`Platform::limits`).
            Some(f) => unsafe { &*(f.limits as *const crate::func::VMLimits) },
            None => P::limits(),
        };
        {
            let mut v = vm.get();
            let slot = |off: i32| off as usize / 8;
            if let Some(m) = memories.first() {
                v[slot(vmctx::HEAP_BASE)] = m.base() as u64;
                v[slot(vmctx::MEMORY)] = m.vm_ptr() as u64;
            }
            v[slot(vmctx::MEMORIES)] = memory_ptrs.as_ptr() as u64;
            v[slot(vmctx::LIMITS)] = limits as *const _ as u64;
            v[slot(vmctx::FUNCS)] = funcs.as_ptr() as u64;
            v[slot(vmctx::GLOBALS)] = global_cells.as_ptr() as u64;
            v[slot(vmctx::TABLES)] = table_ptrs.as_ptr() as u64;
            v[slot(vmctx::TYPE_IDS)] = type_ids.as_ptr() as u64;
            v[slot(vmctx::BUILTINS)] = builtins.as_ptr() as u64;
            vm.set(v);
        }
        let inner = Arc::new(InstanceInner {
            module: module.clone(),
            code,
            vmctx: vm,
            _builtins: builtins,
            _type_ids: type_ids,
            funcs,
            _global_cells: global_cells,
            _table_ptrs: table_ptrs,
            _local_funcrefs: local_funcrefs,
            _host_funcrefs: host_funcrefs,
            _imported: imported_funcs,
            memories,
            _memory_ptrs: memory_ptrs,
            tables,
            globals,
            data: Mutex::new(data),
            elems: Mutex::new(elems),
            running: crate::func::Running::new(),
            limits,
        });
        // The Arc's contents never move; nothing has run this instance's code yet.
        let mut v = inner.vmctx.get();
        v[vmctx::INSTANCE as usize / 8] = Arc::as_ptr(&inner) as u64;
        inner.vmctx.set(v);
        let instance = Instance(inner);
        store.instances.lock().push(instance.clone());
        instance.initialise(wasm)?;
        Ok(instance)
    }

    /// Element segments, then data segments (active ones read from `wasm`), then the start
    /// function (Wasm 2.0 order).
    fn initialise(&self, wasm: &[u8]) -> Result<(), InstantiateError> {
        let inner = &self.0;
        let info = &inner.module.info;
        let global_value = |i: u32| inner.globals[i as usize].get().to_slot();
        let func_ref = |i: u32| inner.funcs[i as usize] as u64;
        for (i, seg) in info.elements.iter().enumerate() {
            match &seg.mode {
                SegmentMode::Active { index, offset } => {
                    let at = offset.eval(&global_value, &func_ref) as u32;
                    let items = core::mem::take(&mut inner.elems.lock()[i]);
                    if !inner.tables[*index as usize].init(u64::from(at), &items) {
                        return Err(InstantiateError::Trap(Trap::new(TrapKind::TableOutOfBounds)));
                    }
                }
                SegmentMode::Declared => inner.elems.lock()[i] = Vec::new(),
                SegmentMode::Passive => {}
            }
        }
        for seg in &info.data {
            if let SegmentMode::Active { index, offset } = &seg.mode {
                let at = offset.eval(&global_value, &func_ref) as u32;
                // Checked in `new`: the segment lies inside `wasm`.
                let bytes = &wasm[seg.bytes.clone()];
                let mem = &inner.memories[*index as usize];
                if !mem.write(u64::from(at), bytes) {
                    return Err(InstantiateError::Trap(Trap::new(TrapKind::MemoryOutOfBounds)));
                }
            }
        }
        if let Some(start) = info.start {
            self.func(start).call(&[]).map_err(InstantiateError::Trap)?;
        }
        Ok(())
    }

    /// A handle on function `index` of this instance.
    pub fn func(&self, index: u32) -> FuncHandle<P> {
        let inner = &self.0;
        let info = &inner.module.info;
        let t = info.funcs[index as usize];
        let sig = canonical_sig(&info.types[t as usize], &info.types);
        FuncHandle {
            slots: sig.slots(),
            sig,
            funcref: inner.funcs[index as usize],
            entry: P::code_base(&inner.code) + inner.module.image.entry_trampolines[t as usize] as usize,
            // An imported function runs its own instance's code (or none: a host function).
            running: inner._imported.get(index as usize).map_or(&inner.running as *const _ as usize, |f| f.running),
            limits: inner._imported.get(index as usize).map_or(inner.limits as *const _ as usize, |f| f.limits),
            host: None,
            _owner: Some(inner.clone()),
            _platform: PhantomData,
        }
    }

    /// The module this instance runs.
    pub fn module(&self) -> &Arc<CompiledModule> {
        &self.0.module
    }

    /// Linear memory 0, if the module has or imports one.
    pub fn memory(&self) -> Option<&Arc<Memory<P>>> {
        self.0.memories.first()
    }

    /// The exported function `name`, if there is one.
    pub fn export_func(&self, name: &str) -> Option<FuncHandle<P>> {
        match self.export(name)? {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    pub fn export(&self, name: &str) -> Option<Extern<P>> {
        let inner = &self.0;
        let e = inner.module.info.exports.iter().find(|e| e.name == name)?;
        Some(match e.kind {
            ExternKind::Func => Extern::Func(self.func(e.index)),
            ExternKind::Table => Extern::Table(inner.tables[e.index as usize].clone()),
            ExternKind::Memory => Extern::Memory(inner.memories.get(e.index as usize)?.clone()),
            ExternKind::Global => Extern::Global(inner.globals[e.index as usize].clone()),
        })
    }
}

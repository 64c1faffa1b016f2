//! Instantiation: resolving imports, creating memories, tables and globals, filling the vmctx,
//! applying element and data segments, running the start function; and exports.

use crate::code::CodeMemory;
use crate::func::{FuncHandle, HostCtx, VMFuncRef, limits_ptr};
use crate::global::Global;
use crate::memory::Memory;
use crate::table::Table;
use crate::types::canonical_id;
use crate::values::{Trap, Val};
use hayabusa_compiler::env::vmctx;
use hayabusa_compiler::module::{ExternKind, ImportKind, Limits, SegmentMode};
use hayabusa_compiler::{CompiledModule, TrapKind};
use std::cell::{RefCell, UnsafeCell};
use std::fmt;
use std::rc::Rc;

/// Something an instance exports or imports.
#[derive(Clone)]
pub enum Extern {
    Func(FuncHandle),
    Table(Rc<Table>),
    Memory(Rc<Memory>),
    Global(Rc<Global>),
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

impl std::error::Error for InstantiateError {}

/// An instance's state; compiled code reaches it through its vmctx.
pub struct InstanceInner {
    pub module: Rc<CompiledModule>,
    pub code: CodeMemory,
    vmctx: Box<UnsafeCell<[u64; vmctx::SIZE / 8]>>,
    _builtins: Box<[usize]>,
    _type_ids: Box<[u32]>,
    funcs: Box<[usize]>,
    _global_cells: Box<[usize]>,
    _table_ptrs: Box<[usize]>,
    _local_funcrefs: Box<[VMFuncRef]>,
    _host_funcrefs: Vec<(Box<VMFuncRef>, Box<HostCtx>)>,
    /// Keep imported functions' owners alive.
    _imported: Vec<FuncHandle>,
    pub memory: Option<Rc<Memory>>,
    pub tables: Vec<Rc<Table>>,
    pub globals: Vec<Rc<Global>>,
    /// Data segment contents (emptied by `data.drop` and after active initialisation).
    pub data: RefCell<Vec<Vec<u8>>>,
    /// Element segment items (emptied by `elem.drop` and after active initialisation).
    pub elems: RefCell<Vec<Vec<u64>>>,
}

/// A live instance.
#[derive(Clone)]
pub struct Instance(pub Rc<InstanceInner>);

/// Owns every instance created in it until dropped. Instances hand out raw pointers to their
/// functions (through tables, globals and imports), so none may die before the others: an
/// instance whose initialisation failed half-way also stays here, as the spec requires.
#[derive(Default)]
pub struct Store {
    instances: std::cell::RefCell<Vec<Instance>>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
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

impl Instance {
    /// Instantiates `module`, asking `resolve(module, name)` for each import.
    pub fn new(
        store: &Store,
        module: Rc<CompiledModule>,
        wasm: &[u8],
        resolve: &dyn Fn(&str, &str) -> Option<Extern>,
    ) -> Result<Instance, InstantiateError> {
        let info = &module.info;
        let res = |e: std::io::Error| InstantiateError::Resource(e.to_string());
        let code = CodeMemory::load(&module.image).map_err(res)?;
        let base = code.base();
        let vm: Box<UnsafeCell<[u64; vmctx::SIZE / 8]>> = Box::new(UnsafeCell::new([0; vmctx::SIZE / 8]));
        let vm_addr = vm.get() as usize;

        let mut funcs: Vec<usize> = Vec::new();
        let mut host_funcrefs = Vec::new();
        let mut imported_funcs = Vec::new();
        let mut memory = None;
        let mut tables = Vec::new();
        let mut globals = Vec::new();
        for imp in &info.imports {
            let (m, n) = (imp.module.as_str(), imp.name.as_str());
            let ext = resolve(m, n).ok_or_else(|| unlinkable(m, n, "unknown import"))?;
            match (&imp.kind, ext) {
                (ImportKind::Func(t), Extern::Func(h)) => {
                    let sig = &info.types[*t as usize];
                    if h.sig != *sig {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    if h.funcref.is_null() {
                        let ctx = HostCtx::new(h.host.clone().expect("host function"));
                        let fr = Box::new(VMFuncRef {
                            code: base + module.image.host_trampolines[*t as usize] as usize,
                            vmctx: &*ctx as *const HostCtx as usize,
                            type_id: canonical_id(sig),
                            _pad: 0,
                        });
                        funcs.push(&*fr as *const VMFuncRef as usize);
                        host_funcrefs.push((fr, ctx));
                    } else {
                        funcs.push(h.funcref as usize);
                    }
                    imported_funcs.push(h);
                }
                (ImportKind::Table(d), Extern::Table(t)) => {
                    if t.elem != d.elem || !limits_match(t.len(), t.max, &d.limits) {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    tables.push(t);
                }
                (ImportKind::Memory(l), Extern::Memory(mem)) => {
                    if !limits_match(mem.pages(), mem.max_pages, l) {
                        return Err(unlinkable(m, n, "incompatible import type"));
                    }
                    memory = Some(mem);
                }
                (ImportKind::Global(g), Extern::Global(gl)) => {
                    if gl.ty != *g {
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
                type_id: canonical_id(info.func_sig(f.index)),
                _pad: 0,
            })
            .collect();
        funcs.extend(local_funcrefs.iter().map(|r| r as *const VMFuncRef as usize));

        let func_ref = |i: u32| funcs[i as usize] as u64;
        for g in &info.globals[info.num_imported_globals as usize..] {
            let init = g.init.as_ref().expect("local global has an initialiser");
            let v = init.eval(&|i| globals[i as usize].get().to_slot(), &func_ref);
            globals.push(Rc::new(Global::new(g.ty, Val::from_slot(g.ty.ty, v))));
        }
        let global_value = |i: u32| globals[i as usize].get().to_slot();
        for d in &info.tables[info.num_imported_tables as usize..] {
            let init = d.init.as_ref().map_or(0, |e| e.eval(&global_value, &func_ref));
            let t = Table::new(d.elem, d.limits.min, d.limits.max, init)
                .ok_or_else(|| InstantiateError::Resource("table too large".into()))?;
            tables.push(Rc::new(t));
        }
        if memory.is_none() {
            if let Some(l) = info.memories.first() {
                memory = Some(Rc::new(Memory::new(*l).map_err(res)?));
            }
        }

        let elems: Vec<Vec<u64>> = info
            .elements
            .iter()
            .map(|s| s.items.iter().map(|e| e.eval(&global_value, &func_ref)).collect())
            .collect();
        let data: Vec<Vec<u8>> = info.data.iter().map(|d| wasm[d.bytes.clone()].to_vec()).collect();

        let builtins = crate::builtins::table();
        let type_ids: Box<[u32]> = info.types.iter().map(canonical_id).collect();
        let global_cells: Box<[usize]> = globals.iter().map(|g| g.cell_ptr() as usize).collect();
        let table_ptrs: Box<[usize]> = tables.iter().map(|t| t.vm_ptr() as usize).collect();
        let funcs = funcs.into_boxed_slice();
        {
            // SAFETY: nothing else references the vmctx yet.
            let v = unsafe { &mut *vm.get() };
            let slot = |off: i32| off as usize / 8;
            if let Some(m) = &memory {
                v[slot(vmctx::HEAP_BASE)] = m.base() as u64;
                v[slot(vmctx::MEMORY)] = m.vm_ptr() as u64;
            }
            v[slot(vmctx::LIMITS)] = limits_ptr() as u64;
            v[slot(vmctx::FUNCS)] = funcs.as_ptr() as u64;
            v[slot(vmctx::GLOBALS)] = global_cells.as_ptr() as u64;
            v[slot(vmctx::TABLES)] = table_ptrs.as_ptr() as u64;
            v[slot(vmctx::TYPE_IDS)] = type_ids.as_ptr() as u64;
            v[slot(vmctx::BUILTINS)] = builtins.as_ptr() as u64;
        }
        let inner = Rc::new(InstanceInner {
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
            memory,
            tables,
            globals,
            data: RefCell::new(data),
            elems: RefCell::new(elems),
        });
        // SAFETY: the Rc's contents never move; compiled code reads this field only.
        unsafe { (*inner.vmctx.get())[vmctx::INSTANCE as usize / 8] = Rc::as_ptr(&inner) as u64 };
        let instance = Instance(inner);
        store.instances.borrow_mut().push(instance.clone());
        instance.initialise()?;
        Ok(instance)
    }

    /// Element segments, then data segments, then the start function (Wasm 2.0 order).
    fn initialise(&self) -> Result<(), InstantiateError> {
        let inner = &self.0;
        let info = &inner.module.info;
        let global_value = |i: u32| inner.globals[i as usize].get().to_slot();
        let func_ref = |i: u32| inner.funcs[i as usize] as u64;
        for (i, seg) in info.elements.iter().enumerate() {
            match &seg.mode {
                SegmentMode::Active { index, offset } => {
                    let at = offset.eval(&global_value, &func_ref) as u32;
                    let items = std::mem::take(&mut inner.elems.borrow_mut()[i]);
                    if !inner.tables[*index as usize].init(u64::from(at), &items) {
                        return Err(InstantiateError::Trap(Trap::new(TrapKind::TableOutOfBounds)));
                    }
                }
                SegmentMode::Declared => inner.elems.borrow_mut()[i] = Vec::new(),
                SegmentMode::Passive => {}
            }
        }
        for (i, seg) in info.data.iter().enumerate() {
            if let SegmentMode::Active { offset, .. } = &seg.mode {
                let at = offset.eval(&global_value, &func_ref) as u32;
                let bytes = std::mem::take(&mut inner.data.borrow_mut()[i]);
                let mem = inner.memory.as_ref().expect("validated: memory exists");
                if !mem.write(u64::from(at), &bytes) {
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
    pub fn func(&self, index: u32) -> FuncHandle {
        let inner = &self.0;
        let info = &inner.module.info;
        let t = info.funcs[index as usize];
        FuncHandle {
            sig: info.types[t as usize].clone(),
            funcref: inner.funcs[index as usize] as *const VMFuncRef,
            entry: inner.code.base() + inner.module.image.entry_trampolines[t as usize] as usize,
            host: None,
            _owner: Some(inner.clone()),
        }
    }

    pub fn export(&self, name: &str) -> Option<Extern> {
        let inner = &self.0;
        let e = inner.module.info.exports.iter().find(|e| e.name == name)?;
        Some(match e.kind {
            ExternKind::Func => Extern::Func(self.func(e.index)),
            ExternKind::Table => Extern::Table(inner.tables[e.index as usize].clone()),
            ExternKind::Memory => Extern::Memory(inner.memory.clone()?),
            ExternKind::Global => Extern::Global(inner.globals[e.index as usize].clone()),
        })
    }
}

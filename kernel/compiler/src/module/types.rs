//! Plain data describing a parsed module; no wasmparser types leak past this module.

use super::ConstExpr;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

/// A value type of Wasm 2.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    FuncRef,
    ExternRef,
    V128,
}

impl ValType {
    /// How many 8-byte slots the value takes in the embedder's value arrays (entry and host
    /// trampolines): 2 for `v128` (low half first), 1 for every other type.
    pub fn slots(self) -> usize {
        if self == ValType::V128 { 2 } else { 1 }
    }
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Sig {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl Sig {
    /// 8-byte slots the parameters take ([`ValType::slots`]).
    pub fn param_slots(&self) -> usize {
        self.params.iter().map(|t| t.slots()).sum()
    }

    /// 8-byte slots the results take.
    pub fn result_slots(&self) -> usize {
        self.results.iter().map(|t| t.slots()).sum()
    }

    /// Slots of a value array for one call: `max(params, results, 1)`; arguments go in, results
    /// come back over them, each at the sum of the slots before it.
    pub fn slots(&self) -> usize {
        self.param_slots().max(self.result_slots()).max(1)
    }
}

/// Limits of a table (in elements) or memory (in 64 KiB pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableDesc {
    pub elem: ValType,
    pub limits: Limits,
    /// Initial element value for every slot (`None`: null).
    pub init: Option<ConstExpr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    pub ty: ValType,
    pub mutable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GlobalDesc {
    pub ty: GlobalType,
    /// `None` for imported globals.
    pub init: Option<ConstExpr>,
}

/// What an import provides.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportKind {
    Func(u32),
    Table(TableDesc),
    Memory(Limits),
    Global(GlobalType),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

/// The kind of entity an export names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub name: String,
    pub kind: ExternKind,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentMode {
    Passive,
    Declared,
    Active { index: u32, offset: ConstExpr },
}

/// An element segment: its mode, element type and one constant expression per item.
#[derive(Clone, Debug, PartialEq)]
pub struct ElemSegment {
    pub mode: SegmentMode,
    pub ty: ValType,
    pub items: Vec<ConstExpr>,
}

/// A data segment: its mode and the byte range of its contents in the module binary.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSegment {
    pub mode: SegmentMode,
    pub bytes: Range<usize>,
}

/// Everything about a module except function bodies' code, which stays in the binary
/// (`bodies` holds each local function's byte range).
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    pub types: Vec<Sig>,
    pub imports: Vec<Import>,
    /// Type index of every function, imported ones first.
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub tables: Vec<TableDesc>,
    pub num_imported_tables: u32,
    pub memories: Vec<Limits>,
    pub num_imported_memories: u32,
    pub globals: Vec<GlobalDesc>,
    pub num_imported_globals: u32,
    pub exports: Vec<Export>,
    pub start: Option<u32>,
    pub elements: Vec<ElemSegment>,
    pub data: Vec<DataSegment>,
    /// Byte range of each local function's body (locals and code).
    pub bodies: Vec<Range<usize>>,
    /// Function names from the name section.
    pub func_names: BTreeMap<u32, String>,
}

impl ModuleInfo {
    /// Signature of function `func` (an index in the whole function space).
    pub fn func_sig(&self, func: u32) -> &Sig {
        &self.types[self.funcs[func as usize] as usize]
    }

    /// A printable name for function `func`: its name-section name, else the first name it is
    /// exported under, else `func[N]`.
    pub fn func_name(&self, func: u32) -> String {
        if let Some(n) = self.func_names.get(&func) {
            return n.clone();
        }
        let export = self.exports.iter().find(|e| e.kind == ExternKind::Func && e.index == func);
        match export {
            Some(e) => e.name.clone(),
            None => alloc::format!("func[{func}]"),
        }
    }

    pub fn is_imported_func(&self, func: u32) -> bool {
        func < self.num_imported_funcs
    }
}

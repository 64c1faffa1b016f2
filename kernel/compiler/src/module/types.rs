//! Plain data describing a parsed module; no wasmparser types leak past this module.

use super::ConstExpr;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

/// A value type. `funcref` and `externref` (`(ref null func)`, `(ref null extern)`) have their
/// own variants; every other reference type of typed function references is a
/// [`ValType::Ref`] (never with `nullable` and an abstract heap type together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    FuncRef,
    ExternRef,
    V128,
    Ref(RefType),
}

/// A reference type of typed function references: `(ref null? func|extern|$t)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    pub nullable: bool,
    pub heap: HeapType,
}

/// What a reference points at. `Type(i)` is a module type index (a function type) in a
/// compiled module; the runtime replaces it by the type's canonical id where it compares types
/// across modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    Func,
    Extern,
    Type(u32),
}

impl ValType {
    /// How many 8-byte slots the value takes in the embedder's value arrays (entry and host
    /// trampolines): 2 for `v128` (low half first), 1 for every other type.
    pub fn slots(self) -> usize {
        if self == ValType::V128 { 2 } else { 1 }
    }

    /// The value type of a reference type, normalised: `(ref null func)` is [`ValType::FuncRef`],
    /// `(ref null extern)` is [`ValType::ExternRef`].
    pub fn reference(nullable: bool, heap: HeapType) -> ValType {
        match (nullable, heap) {
            (true, HeapType::Func) => ValType::FuncRef,
            (true, HeapType::Extern) => ValType::ExternRef,
            _ => ValType::Ref(RefType { nullable, heap }),
        }
    }

    /// Whether values of this type are references to functions (possibly null).
    pub fn is_func_ref(self) -> bool {
        match self {
            ValType::FuncRef => true,
            ValType::Ref(r) => r.heap != HeapType::Extern,
            _ => false,
        }
    }

    /// Whether this is a reference type (function or extern).
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef | ValType::Ref(_))
    }

    /// Whether the type has a default value (`null` or zero): everything but non-nullable
    /// references.
    pub fn defaultable(self) -> bool {
        !matches!(self, ValType::Ref(RefType { nullable: false, .. }))
    }

    /// Whether a value of type `self` may be used where `other` is expected (Wasm 3.0 subtyping
    /// without GC: a concrete function type is a subtype of `func`, non-null of nullable).
    /// `Type` indices must be in the same index space (one module, or canonical ids).
    pub fn matches(self, other: ValType) -> bool {
        let as_ref = |t: ValType| match t {
            ValType::FuncRef => Some(RefType { nullable: true, heap: HeapType::Func }),
            ValType::ExternRef => Some(RefType { nullable: true, heap: HeapType::Extern }),
            ValType::Ref(r) => Some(r),
            _ => None,
        };
        match (as_ref(self), as_ref(other)) {
            (Some(a), Some(b)) => {
                let heap = a.heap == b.heap || (matches!(a.heap, HeapType::Type(_)) && b.heap == HeapType::Func);
                heap && (b.nullable || !a.nullable)
            }
            _ => self == other,
        }
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

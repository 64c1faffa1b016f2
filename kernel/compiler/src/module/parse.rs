//! Reads a (validated) module's sections into a [`ModuleInfo`].

use super::{
    ConstExpr, DataSegment, ElemSegment, Export, ExternKind, GlobalDesc, GlobalType, Import,
    ImportKind, Limits, ModuleInfo, SegmentMode, Sig, TableDesc, ValType,
};
use crate::error::{Error, Result};
use alloc::string::ToString;
use alloc::vec::Vec;
use wasmparser::{
    BinaryReader, DataKind, ElementItems, ElementKind, ExternalKind, Name, NameSectionReader,
    Parser, Payload, RefType, TableInit, TypeRef,
};

pub(crate) fn val_type(ty: wasmparser::ValType, offset: u64) -> Result<ValType> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_type(r, offset)?,
    })
}

pub(crate) fn ref_type(r: RefType, offset: u64) -> Result<ValType> {
    if r == RefType::FUNCREF {
        Ok(ValType::FuncRef)
    } else if r == RefType::EXTERNREF {
        Ok(ValType::ExternRef)
    } else {
        Err(Error::unsupported(offset, "function-references"))
    }
}

fn table_desc(t: &wasmparser::TableType, init: Option<ConstExpr>, off: u64) -> Result<TableDesc> {
    let limits = Limits { min: t.initial, max: t.maximum };
    Ok(TableDesc { elem: ref_type(t.element_type, off)?, limits, init })
}

fn memory_limits(m: &wasmparser::MemoryType, off: u64) -> Result<Limits> {
    if m.memory64 {
        return Err(Error::unsupported(off, "memory64"));
    }
    if m.shared {
        return Err(Error::unsupported(off, "threads"));
    }
    Ok(Limits { min: m.initial, max: m.maximum })
}

fn global_type(g: &wasmparser::GlobalType, off: u64) -> Result<GlobalType> {
    Ok(GlobalType { ty: val_type(g.content_type, off)?, mutable: g.mutable })
}

/// How much compiling a module is: the functions it defines and the bytes of their bodies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeSize {
    pub functions: u32,
    pub code_bytes: u64,
}

/// The [`CodeSize`] of `bytes`, read from its function and code section headers without
/// validating anything else: for an embedder's limits, checked before the work of compiling.
/// What it could not read counts as 0 (compiling then reports the error).
pub fn code_size(bytes: &[u8]) -> CodeSize {
    let mut size = CodeSize::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::FunctionSection(r)) => size.functions = r.count(),
            Ok(Payload::CodeSectionStart { size: code, .. }) => {
                size.code_bytes = u64::from(code);
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    size
}

/// Parses the declarations of `bytes`. Call [`crate::validate::validate`] first: this reader
/// assumes index spaces are consistent.
pub fn parse(bytes: &[u8]) -> Result<ModuleInfo> {
    let mut m = ModuleInfo::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(r) => {
                let off = r.range().start;
                for ft in r.into_iter_err_on_gc_types() {
                    let ft = ft?;
                    let params = ft.params().iter().map(|t| val_type(*t, off)).collect::<Result<_>>()?;
                    let results = ft.results().iter().map(|t| val_type(*t, off)).collect::<Result<_>>()?;
                    m.types.push(Sig { params, results });
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports_with_offsets() {
                    let (off, imp) = imp?;
                                        let kind = match imp.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            m.funcs.push(t);
                            m.num_imported_funcs += 1;
                            ImportKind::Func(t)
                        }
                        TypeRef::Table(t) => {
                            let d = table_desc(&t, None, off)?;
                            m.tables.push(d.clone());
                            m.num_imported_tables += 1;
                            ImportKind::Table(d)
                        }
                        TypeRef::Memory(mt) => {
                            let l = memory_limits(&mt, off)?;
                            m.memories.push(l);
                            m.num_imported_memories += 1;
                            ImportKind::Memory(l)
                        }
                        TypeRef::Global(g) => {
                            let g = global_type(&g, off)?;
                            m.globals.push(GlobalDesc { ty: g, init: None });
                            m.num_imported_globals += 1;
                            ImportKind::Global(g)
                        }
                        TypeRef::Tag(_) => return Err(Error::unsupported(off, "exceptions")),
                    };
                    m.imports.push(Import { module: imp.module.to_string(), name: imp.name.to_string(), kind });
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    m.funcs.push(t?);
                }
            }
            Payload::TableSection(r) => {
                let off = r.range().start;
                for t in r {
                    let t = t?;
                    let init = match &t.init {
                        TableInit::RefNull => None,
                        TableInit::Expr(e) => Some(ConstExpr::parse(e)?),
                    };
                    m.tables.push(table_desc(&t.ty, init, off)?);
                }
            }
            Payload::MemorySection(r) => {
                let off = r.range().start;
                for mt in r {
                    m.memories.push(memory_limits(&mt?, off)?);
                }
            }
            Payload::GlobalSection(r) => {
                let off = r.range().start;
                for g in r {
                    let g = g?;
                    let init = Some(ConstExpr::parse(&g.init_expr)?);
                    m.globals.push(GlobalDesc { ty: global_type(&g.ty, off)?, init });
                }
            }
            Payload::ExportSection(r) => {
                let off = r.range().start;
                for e in r {
                    let e = e?;
                    let kind = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => ExternKind::Func,
                        ExternalKind::Table => ExternKind::Table,
                        ExternalKind::Memory => ExternKind::Memory,
                        ExternalKind::Global => ExternKind::Global,
                        ExternalKind::Tag => return Err(Error::unsupported(off, "exceptions")),
                    };
                    m.exports.push(Export { name: e.name.to_string(), kind, index: e.index });
                }
            }
            Payload::StartSection { func, .. } => m.start = Some(func),
            Payload::ElementSection(r) => {
                for e in r {
                    m.elements.push(elem_segment(e?)?);
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d?;
                    let mode = match &d.kind {
                        DataKind::Passive => SegmentMode::Passive,
                        DataKind::Active { memory_index, offset_expr } => SegmentMode::Active {
                            index: *memory_index,
                            offset: ConstExpr::parse(offset_expr)?,
                        },
                    };
                    let end = d.range.end as usize;
                    m.data.push(DataSegment { mode, bytes: end - d.data.len()..end });
                }
            }
            Payload::CodeSectionEntry(body) => {
                let r = body.range();
                m.bodies.push(r.start as usize..r.end as usize);
            }
            Payload::CustomSection(c) if c.name() == "name" => {
                let reader = BinaryReader::new(c.data(), c.data_offset());
                read_names(NameSectionReader::new(reader), &mut m);
            }
            _ => {}
        }
    }
    Ok(m)
}

fn elem_segment(e: wasmparser::Element<'_>) -> Result<ElemSegment> {
    let off = e.range.start;
    let mode = match &e.kind {
        ElementKind::Passive => SegmentMode::Passive,
        ElementKind::Declared => SegmentMode::Declared,
        ElementKind::Active { table_index, offset_expr } => SegmentMode::Active {
            index: table_index.unwrap_or(0),
            offset: ConstExpr::parse(offset_expr)?,
        },
    };
    let mut items = Vec::new();
    let ty = match e.items {
        ElementItems::Functions(r) => {
            for f in r {
                items.push(ConstExpr { ops: alloc::vec![super::ConstOp::RefFunc(f?)] });
            }
            ValType::FuncRef
        }
        ElementItems::Expressions(rt, r) => {
            for x in r {
                items.push(ConstExpr::parse(&x?)?);
            }
            ref_type(rt, off)?
        }
    };
    Ok(ElemSegment { mode, ty, items })
}

/// Function names; a malformed name section is ignored, as the spec requires of custom sections.
fn read_names(reader: NameSectionReader<'_>, m: &mut ModuleInfo) {
    for name in reader {
        let Ok(Name::Function(map)) = name else { continue };
        for naming in map.into_iter().flatten() {
            m.func_names.insert(naming.index, naming.name.to_string());
        }
    }
}

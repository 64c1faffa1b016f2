//! Cuts a module that needs an unsupported feature down to the part this compiler supports, and
//! names the exports whose behaviour the cut may have changed (the runner skips those only).
//!
//! Three cuts, tried as the validator's error location asks (at most one pass each, then
//! function by function): a function body the validator stops in becomes `unreachable`; tags
//! (with their imports and exports) are dropped; reference types the compiler lacks (`(ref $t)`,
//! `(ref null $t)`, `(ref func)`, ...) are widened to `funcref`/`externref` everywhere. An export
//! is *tainted* when its function was cut or widened, or reaches (calls, `ref.func`s, or reads
//! a table or global of) something that was, transitively; its table or global counts when its
//! type was widened or an active segment puts a tainted function in it. Exports of dropped tags
//! are *removed*. A module whose error lies elsewhere (a second memory, a GC type, ...) is not
//! reduced: `reduce` returns `None` and the runner skips it whole.

use std::collections::{BTreeSet, HashSet};
use wasm_encoder::Encode;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{
    AbstractHeapType, ElementItems, ElementKind, ExternalKind, HeapType, Operator, Payload, RefType, TypeRef,
    ValType,
};

/// A module cut down to what the compiler supports.
#[derive(Debug, Default)]
pub struct Reduced {
    pub bytes: Vec<u8>,
    /// Exports whose function, table or global the cut changed or reaches.
    pub tainted: HashSet<String>,
    /// Exports the cut removed (tags).
    pub removed: HashSet<String>,
}

#[derive(Default, Clone)]
struct Plan {
    widen: bool,
    drop_tags: bool,
    /// Defined-function indices whose bodies become `unreachable`.
    stub: BTreeSet<u32>,
}

/// The reencoder that applies a [`Plan`] and notes what it changed.
struct Cutter<'p> {
    plan: &'p Plan,
    /// Set when a reference type was widened since it was last cleared.
    widened: bool,
    /// Defined-function index of the next body.
    body: u32,
    /// Defined functions whose bodies (locals or operators) had a type widened.
    widened_bodies: BTreeSet<u32>,
    removed: HashSet<String>,
}

/// Whether the compiler supports this reference type (Wasm 2.0: nullable `func` or `extern`).
fn ref_supported(rt: RefType) -> bool {
    rt.is_nullable() && matches!(rt.heap_type(), HeapType::Abstract { shared: false, ty: AbstractHeapType::Func | AbstractHeapType::Extern })
}

fn val_supported(v: ValType) -> bool {
    match v {
        ValType::Ref(r) => ref_supported(r),
        _ => true,
    }
}

fn widened(rt: RefType) -> wasm_encoder::RefType {
    match rt.heap_type() {
        HeapType::Abstract { ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern, .. } => wasm_encoder::RefType::EXTERNREF,
        _ => wasm_encoder::RefType::FUNCREF,
    }
}

type EncResult<T> = Result<T, reencode::Error<std::convert::Infallible>>;

impl Reencode for Cutter<'_> {
    type Error = std::convert::Infallible;

    fn ref_type(&mut self, rt: RefType) -> EncResult<wasm_encoder::RefType> {
        if self.plan.widen && !ref_supported(rt) {
            self.widened = true;
            return Ok(widened(rt));
        }
        reencode::utils::ref_type(self, rt)
    }

    fn heap_type(&mut self, ht: HeapType) -> EncResult<wasm_encoder::HeapType> {
        if self.plan.widen && matches!(ht, HeapType::Concrete(_) | HeapType::Exact(_)) {
            self.widened = true;
            return Ok(wasm_encoder::HeapType::FUNC);
        }
        reencode::utils::heap_type(self, ht)
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> EncResult<()> {
        let index = self.body;
        self.body += 1;
        if self.plan.stub.contains(&index) {
            let mut f = wasm_encoder::Function::new([]);
            f.instruction(&wasm_encoder::Instruction::Unreachable);
            f.instruction(&wasm_encoder::Instruction::End);
            code.function(&f);
            return Ok(());
        }
        self.widened = false;
        reencode::utils::parse_function_body(self, code, func)?;
        if self.widened {
            self.widened_bodies.insert(index);
        }
        Ok(())
    }

    fn parse_tag_section(
        &mut self,
        tags: &mut wasm_encoder::TagSection,
        section: wasmparser::TagSectionReader<'_>,
    ) -> EncResult<()> {
        if self.plan.drop_tags {
            return Ok(());
        }
        reencode::utils::parse_tag_section(self, tags, section)
    }

    fn parse_imports(
        &mut self,
        out: &mut wasm_encoder::ImportSection,
        imports: wasmparser::Imports<'_>,
    ) -> EncResult<()> {
        if self.plan.drop_tags
            && let wasmparser::Imports::Single(_, imp) = &imports
            && matches!(imp.ty, TypeRef::Tag(_))
        {
            return Ok(());
        }
        reencode::utils::parse_imports(self, out, imports)
    }

    fn parse_export(&mut self, out: &mut wasm_encoder::ExportSection, e: wasmparser::Export<'_>) -> EncResult<()> {
        if self.plan.drop_tags && e.kind == ExternalKind::Tag {
            self.removed.insert(e.name.to_string());
            return Ok(());
        }
        reencode::utils::parse_export(self, out, e)
    }
}

/// Drops empty tag sections (an empty one still needs the exceptions proposal).
fn strip_empty_tag_sections(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes[..8.min(bytes.len())].to_vec();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else { return bytes.to_vec() };
        if let Payload::TagSection(s) = &payload
            && s.count() == 0
        {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            // Copy the section whole: its id, its size and its contents.
            out.push(id);
            (range.end - range.start).encode(&mut out);
            out.extend_from_slice(&bytes[range.start as usize..range.end as usize]);
        }
    }
    out
}

fn apply<'p>(bytes: &[u8], plan: &'p Plan) -> Option<(Vec<u8>, Cutter<'p>)> {
    let mut cutter =
        Cutter { plan, widened: false, body: 0, widened_bodies: BTreeSet::new(), removed: HashSet::new() };
    let mut module = wasm_encoder::Module::new();
    cutter.parse_core_module(&mut module, wasmparser::Parser::new(0), bytes).ok()?;
    let out = strip_empty_tag_sections(&module.finish());
    Some((out, cutter))
}

/// Where in `bytes` a validation error at `offset` lies: the defined function whose body holds
/// it, if any.
fn body_at(bytes: &[u8], offset: u64) -> Option<u32> {
    let mut index = 0;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Payload::CodeSectionEntry(body) = payload.ok()? {
            let r = body.range();
            if r.contains(&offset) {
                return Some(index);
            }
            index += 1;
        }
    }
    None
}

fn has_tags(bytes: &[u8]) -> bool {
    wasmparser::Parser::new(0).parse_all(bytes).any(|p| match p {
        Ok(Payload::TagSection(_)) => true,
        Ok(Payload::ImportSection(s)) => s.into_imports().any(|i| i.is_ok_and(|i| matches!(i.ty, TypeRef::Tag(_)))),
        _ => false,
    })
}

/// Cuts `bytes` down until `check` accepts it (it returns `Err(offset)` for an unsupported
/// feature at that byte offset, `Err(None)` for any other error). `None` when no cut helps.
pub fn reduce(bytes: &[u8], check: impl Fn(&[u8]) -> Result<(), Option<u64>>) -> Option<Reduced> {
    let mut plan = Plan::default();
    let tags = has_tags(bytes);
    for _ in 0..10_000 {
        let (out, cutter) = apply(bytes, &plan)?;
        let offset = match check(&out) {
            Ok(()) => {
                let (widened_bodies, removed) = (cutter.widened_bodies, cutter.removed);
                let tainted = taint(bytes, &plan, &widened_bodies)?;
                return Some(Reduced { bytes: out, tainted, removed });
            }
            Err(None) => return None,
            Err(Some(offset)) => offset,
        };
        drop(cutter);
        match body_at(&out, offset) {
            Some(f) if !plan.stub.contains(&f) => {
                plan.stub.insert(f);
            }
            Some(_) => return None,
            None if tags && !plan.drop_tags => plan.drop_tags = true,
            None if !plan.widen => plan.widen = true,
            None => return None,
        }
    }
    None
}

/// What one defined function's body reaches.
#[derive(Default)]
struct Uses {
    funcs: Vec<u32>,
    tables: Vec<u32>,
    globals: Vec<u32>,
    elems: Vec<u32>,
}

fn uses_of(body: &wasmparser::FunctionBody<'_>) -> Option<Uses> {
    let mut u = Uses::default();
    let mut ops = body.get_operators_reader().ok()?;
    while !ops.eof() {
        match ops.read().ok()? {
            Operator::Call { function_index } | Operator::ReturnCall { function_index } | Operator::RefFunc { function_index } => {
                u.funcs.push(function_index)
            }
            Operator::CallIndirect { table_index, .. } | Operator::ReturnCallIndirect { table_index, .. } => {
                u.tables.push(table_index)
            }
            Operator::TableGet { table }
            | Operator::TableSet { table }
            | Operator::TableSize { table }
            | Operator::TableGrow { table }
            | Operator::TableFill { table } => u.tables.push(table),
            Operator::TableCopy { dst_table, src_table } => u.tables.extend([dst_table, src_table]),
            Operator::TableInit { elem_index, table } => {
                u.tables.push(table);
                u.elems.push(elem_index);
            }
            Operator::ElemDrop { elem_index } => u.elems.push(elem_index),
            Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => u.globals.push(global_index),
            _ => {}
        }
    }
    Some(u)
}

/// Functions named by an element segment (by index or by `ref.func` in an expression).
fn elem_funcs(items: &ElementItems<'_>) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    match items {
        ElementItems::Functions(r) => {
            for f in r.clone() {
                out.push(f.ok()?);
            }
        }
        ElementItems::Expressions(_, r) => {
            for e in r.clone() {
                let mut ops = e.ok()?.get_operators_reader();
                while !ops.eof() {
                    if let Operator::RefFunc { function_index } = ops.read().ok()? {
                        out.push(function_index);
                    }
                }
            }
        }
    }
    Some(out)
}

/// The exports the cut taints, computed on the original module.
fn taint(bytes: &[u8], plan: &Plan, widened_bodies: &BTreeSet<u32>) -> Option<HashSet<String>> {
    let mut type_widened = Vec::new();
    let (mut funcs, mut tables, mut globals) = (Vec::<bool>::new(), Vec::<bool>::new(), Vec::<bool>::new());
    let mut imported_funcs = 0u32;
    let mut bodies = Vec::new();
    // (table or None for passive/declared, functions) per element segment.
    let mut elems: Vec<(Option<u32>, Vec<u32>)> = Vec::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            Payload::TypeSection(s) => {
                for ty in s.into_iter_err_on_gc_types() {
                    let ty = ty.ok()?;
                    let all = ty.params().iter().chain(ty.results());
                    type_widened.push(plan.widen && !all.copied().all(val_supported));
                }
            }
            Payload::ImportSection(s) => {
                for imp in s.into_imports() {
                    match imp.ok()?.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            funcs.push(type_widened.get(t as usize).copied().unwrap_or(false));
                            imported_funcs += 1;
                        }
                        TypeRef::Table(t) => tables.push(plan.widen && !ref_supported(t.element_type)),
                        TypeRef::Global(g) => globals.push(plan.widen && !val_supported(g.content_type)),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(s) => {
                for (i, t) in s.into_iter().enumerate() {
                    let t = t.ok()?;
                    let i = i as u32;
                    funcs.push(
                        type_widened.get(t as usize).copied().unwrap_or(false)
                            || plan.stub.contains(&i)
                            || widened_bodies.contains(&i),
                    );
                }
            }
            Payload::TableSection(s) => {
                for t in s {
                    tables.push(plan.widen && !ref_supported(t.ok()?.ty.element_type));
                }
            }
            Payload::GlobalSection(s) => {
                for g in s {
                    globals.push(plan.widen && !val_supported(g.ok()?.ty.content_type));
                }
            }
            Payload::ElementSection(s) => {
                for e in s {
                    let e = e.ok()?;
                    let table = match e.kind {
                        ElementKind::Active { table_index, .. } => Some(table_index.unwrap_or(0)),
                        _ => None,
                    };
                    elems.push((table, elem_funcs(&e.items)?));
                }
            }
            Payload::ExportSection(s) => {
                for e in s {
                    let e = e.ok()?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(uses_of(&body)?),
            _ => {}
        }
    }
    let tainted_elem = |funcs: &[bool], fs: &[u32]| fs.iter().any(|&f| funcs.get(f as usize).copied().unwrap_or(false));
    // Spread the taint to a fixed point: it only ever grows, so this ends.
    loop {
        let mut changed = false;
        for (table, fs) in &elems {
            if let Some(t) = table
                && tainted_elem(&funcs, fs)
                && !tables.get(*t as usize).copied().unwrap_or(true)
            {
                tables[*t as usize] = true;
                changed = true;
            }
        }
        for (i, u) in bodies.iter().enumerate() {
            let f = imported_funcs as usize + i;
            if funcs[f] {
                continue;
            }
            let hit = u.funcs.iter().any(|&g| funcs.get(g as usize).copied().unwrap_or(false))
                || u.tables.iter().any(|&t| tables.get(t as usize).copied().unwrap_or(false))
                || u.globals.iter().any(|&g| globals.get(g as usize).copied().unwrap_or(false))
                || u.elems.iter().any(|&e| elems.get(e as usize).is_some_and(|(_, fs)| tainted_elem(&funcs, fs)));
            if hit {
                funcs[f] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let get = |v: &[bool], i: u32| v.get(i as usize).copied().unwrap_or(false);
    Some(
        exports
            .into_iter()
            .filter(|(_, kind, index)| match kind {
                ExternalKind::Func | ExternalKind::FuncExact => get(&funcs, *index),
                ExternalKind::Table => get(&tables, *index),
                ExternalKind::Global => get(&globals, *index),
                _ => false,
            })
            .map(|(name, _, _)| name)
            .collect(),
    )
}

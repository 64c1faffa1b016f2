//! The `spectest` host module every spec script may import from.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hayabusa_compiler::module::{GlobalType, Limits};
use hayabusa_compiler::{Sig, ValType};
use hayabusa_runtime::{Extern, FuncHandle, Global, Memory, Platform, Table, Val};

/// Builds the exports of `spectest` (prints do nothing: the scripts only check they link).
pub fn spectest_exports<P: Platform>() -> BTreeMap<&'static str, Extern<P>> {
    use ValType::*;
    let mut m = BTreeMap::new();
    let print = |params: &[ValType]| {
        let sig = Sig { params: params.to_vec(), results: Vec::new() };
        Extern::Func(FuncHandle::host(sig, Box::new(|_| Vec::new())))
    };
    m.insert("print", print(&[]));
    m.insert("print_i32", print(&[I32]));
    m.insert("print_i64", print(&[I64]));
    m.insert("print_f32", print(&[F32]));
    m.insert("print_f64", print(&[F64]));
    m.insert("print_i32_f32", print(&[I32, F32]));
    m.insert("print_f64_f64", print(&[F64, F64]));
    let global = |ty, v| Extern::Global(Arc::new(Global::new(GlobalType { ty, mutable: false }, v)));
    m.insert("global_i32", global(I32, Val::I32(666)));
    m.insert("global_i64", global(I64, Val::I64(666)));
    m.insert("global_f32", global(F32, Val::F32(666.6f32.to_bits())));
    m.insert("global_f64", global(F64, Val::F64(666.6f64.to_bits())));
    if let Some(t) = Table::new(FuncRef, 10, Some(20), 0) {
        m.insert("table", Extern::Table(Arc::new(t)));
    }
    if let Ok(mem) = Memory::new(Limits { min: 1, max: Some(2) }) {
        m.insert("memory", Extern::Memory(Arc::new(mem)));
    }
    m
}

//! Multi-memory: every memory instruction names its memory; each memory has its own bounds
//! (guard reservation or explicit length), its own growth, its own data segments, and
//! `memory.copy` moves bytes between two memories; memories are imported and exported by index.

mod common;
use common::*;
use hayabusa_compiler::TrapKind;
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::{Extern, Instance, Store};
use std::sync::Arc;

const WAT: &str = r#"
(module
  (memory $a 1)
  (memory $b 2 3)
  (memory $c 0)
  (data (memory $b) (i32.const 65536) "\2a")
  (data $p "\07\08\09")
  (func (export "load_a") (param i32) (result i32) (i32.load8_u $a (local.get 0)))
  (func (export "load_b") (param i32) (result i32) (i32.load8_u $b (local.get 0)))
  (func (export "load_c") (param i32) (result i32) (i32.load8_u $c (local.get 0)))
  (func (export "store_b") (param i32 i32) (i32.store8 $b (local.get 0) (local.get 1)))
  (func (export "sizes") (result i32 i32 i32) (memory.size $a) (memory.size $b) (memory.size $c))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "grow_c") (param i32) (result i32) (memory.grow $c (local.get 0)))
  ;; Copies len bytes from b[src] to a[dst].
  (func (export "copy_b_to_a") (param i32 i32 i32) (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_c") (param i32 i32 i32) (memory.fill $c (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_c") (param i32) (memory.init $c $p (local.get 0) (i32.const 0) (i32.const 3)))
  (export "a" (memory $a))
  (export "b" (memory $b))
)"#;

#[test]
fn memories_are_separate() {
    for opts in all_options() {
        let i = instantiate_with(WAT, &opts);
        assert_eq!(call(&i, "sizes", &[]), Ok(vec![I32(1), I32(2), I32(0)]));
        // The data segment went to memory $b only.
        assert_eq!(call(&i, "load_b", &[I32(65536)]), Ok(vec![I32(42)]));
        assert_eq!(call(&i, "load_a", &[I32(65535)]), Ok(vec![I32(0)]));
        // Memory $a has one page: an address valid in $b traps in $a; $c has none.
        assert_eq!(call(&i, "load_a", &[I32(65536)]).unwrap_err().kind, TrapKind::MemoryOutOfBounds, "{opts:?}");
        assert_eq!(call(&i, "load_c", &[I32(0)]).unwrap_err().kind, TrapKind::MemoryOutOfBounds, "{opts:?}");
        assert_eq!(call(&i, "load_b", &[I32(2 * 65536)]).unwrap_err().kind, TrapKind::MemoryOutOfBounds);
        // memory.copy between memories, bounds checked against each.
        call(&i, "copy_b_to_a", &[I32(10), I32(65536), I32(1)]).unwrap();
        assert_eq!(call(&i, "load_a", &[I32(10)]), Ok(vec![I32(42)]));
        assert_eq!(call(&i, "copy_b_to_a", &[I32(65535), I32(65536), I32(2)]).unwrap_err().kind, TrapKind::MemoryOutOfBounds);
        // Growth is per memory, up to each one's maximum.
        assert_eq!(call(&i, "grow_b", &[I32(1)]), Ok(vec![I32(2)]));
        assert_eq!(call(&i, "grow_b", &[I32(1)]), Ok(vec![I32(-1)]));
        assert_eq!(call(&i, "load_b", &[I32(2 * 65536)]), Ok(vec![I32(0)]));
        assert_eq!(call(&i, "grow_c", &[I32(1)]), Ok(vec![I32(0)]));
        assert_eq!(call(&i, "sizes", &[]), Ok(vec![I32(1), I32(3), I32(1)]));
        call(&i, "fill_c", &[I32(100), I32(5), I32(2)]).unwrap();
        call(&i, "init_c", &[I32(200)]).unwrap();
        assert_eq!(call(&i, "load_c", &[I32(101)]), Ok(vec![I32(5)]));
        assert_eq!(call(&i, "load_c", &[I32(202)]), Ok(vec![I32(9)]));
        assert_eq!(call(&i, "load_a", &[I32(101)]), Ok(vec![I32(0)]));
        assert_eq!(call(&i, "fill_c", &[I32(65535), I32(5), I32(2)]).unwrap_err().kind, TrapKind::MemoryOutOfBounds);
        // The instance's `memory()` (what the kernel's task layer uses) is memory 0.
        assert_eq!(i.memory().unwrap().pages(), 1);
    }
}

/// A module importing two memories sees each at its index; the second import is memory 1.
#[test]
fn memories_import_and_export_by_index() {
    let store: &'static Store = Box::leak(Box::new(Store::new()));
    let opts = options(Default::default(), Default::default());
    let wasm = wat::parse_str(WAT).unwrap();
    let a = Instance::new(store, Arc::new(hayabusa_compiler::compile(&wasm, &opts).unwrap()), &wasm, &|_, _| None).unwrap();
    let user = wat::parse_str(
        r#"(module (import "m" "b" (memory 2)) (import "m" "a" (memory 1))
             (func (export "get") (param i32) (result i32) (i32.load8_u 0 (local.get 0)))
             (func (export "put") (param i32 i32) (i32.store8 1 (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let exporter = a.clone();
    let resolve = move |m: &str, n: &str| if m == "m" { exporter.export(n) } else { None };
    let b = Instance::new(store, Arc::new(hayabusa_compiler::compile(&user, &opts).unwrap()), &user, &resolve).unwrap();
    assert_eq!(call(&b, "get", &[I32(65536)]), Ok(vec![I32(42)]));
    call(&b, "put", &[I32(7), I32(99)]).unwrap();
    assert_eq!(call(&a, "load_a", &[I32(7)]), Ok(vec![I32(99)]));
    assert_eq!(call(&a, "load_b", &[I32(7)]), Ok(vec![I32(0)]));
    assert!(matches!(a.export("b"), Some(Extern::Memory(m)) if m.pages() == 2));
}

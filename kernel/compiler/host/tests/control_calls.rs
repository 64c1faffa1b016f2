//! Control flow, multi-value, direct and imported calls, globals, start, tables and references.

mod common;
use common::*;
use hayabusa_compiler_host::Val::{I32, I64};
use hayabusa_compiler_host::FuncHandle;
use hayabusa_compiler_host::Global;
use hayabusa_compiler_host::{Extern, Instance, Store, Val};
use hayabusa_compiler::module::GlobalType;
use hayabusa_compiler::{Sig, ValType};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

const CONTROL: &str = r#"
(module
  (func $fib (export "fib") (param i64) (result i64)
    (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
      (then (local.get 0))
      (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                     (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
  (func (export "swap") (param i32 i32) (result i32 i32) local.get 1 local.get 0)
  (func (export "divmod") (param i32 i32) (result i32 i32)
    local.get 0 local.get 1
    (block (param i32 i32) (result i32 i32) call $dm))
  (func $dm (param i32 i32) (result i32 i32)
    local.get 0 local.get 1 i32.div_u local.get 0 local.get 1 i32.rem_u)
  (func (export "classify") (param i32) (result i32)
    (block (block (block (local.get 0) (br_table 0 1 2)) (return (i32.const 10)))
      (return (i32.const 11)))
    (i32.const 12))
  (func (export "sum_to") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    local.get 1)
)"#;

#[test]
fn control_flow_and_multi_value() {
    for opts in all_options() {
        let i = instantiate_with(CONTROL, &opts);
        assert_eq!(call(&i, "fib", &[I64(20)]), Ok(vec![I64(6765)]));
        assert_eq!(call(&i, "swap", &[I32(1), I32(2)]), Ok(vec![I32(2), I32(1)]));
        assert_eq!(call(&i, "divmod", &[I32(17), I32(5)]), Ok(vec![I32(3), I32(2)]));
        let classify: Vec<_> = (0..5).map(|n| call(&i, "classify", &[I32(n)]).unwrap()[0]).collect();
        assert_eq!(classify, vec![I32(10), I32(11), I32(12), I32(12), I32(12)]);
        assert_eq!(call(&i, "sum_to", &[I32(100)]), Ok(vec![I32(5050)]));
    }
}

const IMPORTS: &str = r#"
(module
  (import "env" "add3" (func $add3 (param i32) (result i32)))
  (import "env" "counter" (global $c (mut i64)))
  (table $t 2 funcref)
  (elem declare func $twice)
  (func $twice (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "via_host") (param i32) (result i32) (call $add3 (call $add3 (local.get 0))))
  (func (export "bump") (global.set $c (i64.add (global.get $c) (i64.const 1))))
  (func (export "install") (table.set $t (i32.const 1) (ref.func $twice)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "grow") (result i32) (table.grow $t (ref.null func) (i32.const 3)))
  (func (export "size") (result i32) (table.size $t))
  (func $start (global.set $c (i64.const 100)))
  (start $start)
)"#;

#[test]
fn host_imports_globals_start_and_tables() {
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let add3 = FuncHandle::host(
        Sig { params: vec![ValType::I32], results: vec![ValType::I32] },
        Box::new(move |args: &[Val]| {
            seen.fetch_add(1, Ordering::Relaxed);
            let Val::I32(x) = args[0] else { panic!("i32 argument") };
            vec![Val::I32(x + 3)]
        }),
    );
    let counter = Arc::new(Global::new(GlobalType { ty: ValType::I64, mutable: true }, Val::I64(0)));
    let wasm = wat::parse_str(IMPORTS).unwrap();
    let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
    let store = Store::new();
    let c2 = counter.clone();
    let resolve = move |m: &str, n: &str| match (m, n) {
        ("env", "add3") => Some(Extern::Func(add3.clone())),
        ("env", "counter") => Some(Extern::Global(c2.clone())),
        _ => None,
    };
    let i = Instance::new(&store, Arc::new(module), &wasm, &resolve).unwrap();
    assert_eq!(counter.get(), Val::I64(100), "start function ran");
    assert_eq!(call(&i, "via_host", &[I32(1)]), Ok(vec![I32(7)]));
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    call(&i, "bump", &[]).unwrap();
    assert_eq!(counter.get(), Val::I64(101));
    assert_eq!(call(&i, "is_null", &[I32(1)]), Ok(vec![I32(1)]));
    call(&i, "install", &[]).unwrap();
    assert_eq!(call(&i, "is_null", &[I32(1)]), Ok(vec![I32(0)]));
    assert_eq!(call(&i, "grow", &[]), Ok(vec![I32(2)]));
    assert_eq!(call(&i, "size", &[]), Ok(vec![I32(5)]));
}

#[test]
fn unsatisfied_import_is_refused() {
    let wasm = wat::parse_str(IMPORTS).unwrap();
    let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
    let store = Store::new();
    let err = Instance::new(&store, Arc::new(module), &wasm, &|_, _| None).err().expect("refused");
    assert!(err.to_string().contains("unknown import: env::add3"), "{err}");
}

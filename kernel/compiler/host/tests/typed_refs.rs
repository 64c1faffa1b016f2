//! Typed function references: `call_ref`, `return_call_ref`, `ref.as_non_null`, `br_on_null`,
//! `br_on_non_null`, non-nullable locals and tables; null references trap with their own kinds;
//! typed imports match across modules by canonical type, not by type index.

mod common;
use common::*;
use hayabusa_compiler::TrapKind;
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::{Instance, Store};
use std::sync::Arc;

const WAT: &str = r#"
(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (table $t 2 (ref null $ii))
  (table $nn 1 (ref $ii) (ref.func $inc))
  (elem declare func $inc $dbl)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $pick (param i32) (result (ref null $ii))
    (if (result (ref null $ii)) (i32.eqz (local.get 0))
      (then (ref.null $ii))
      (else (if (result (ref null $ii)) (i32.eq (local.get 0) (i32.const 1))
        (then (ref.func $inc)) (else (ref.func $dbl))))))
  ;; call_ref through a nullable reference: traps on null.
  (func (export "call") (param i32 i32) (result i32)
    (call_ref $ii (local.get 1) (call $pick (local.get 0))))
  (func (export "tail") (param i32 i32) (result i32)
    (return_call_ref $ii (local.get 1) (call $pick (local.get 0))))
  (func (export "as_non_null") (param i32) (result i32)
    (local $f (ref $ii))
    (local.set $f (ref.as_non_null (call $pick (local.get 0))))
    (call_ref $ii (i32.const 10) (local.get $f)))
  ;; br_on_null: -1 for null, else the call's result.
  (func (export "on_null") (param i32) (result i32)
    (block $null
      (return (call_ref $ii (i32.const 5) (br_on_null $null (call $pick (local.get 0))))))
    (i32.const -1))
  ;; br_on_non_null: the call's result, or -2 for null.
  (func (export "on_non_null") (param i32) (result i32)
    (local $f (ref null $ii))
    (local.set $f
      (block $some (result (ref $ii))
        (br_on_non_null $some (call $pick (local.get 0)))
        (return (i32.const -2))))
    (call_ref $ii (i32.const 7) (local.get $f)))
  (func (export "from_table") (param i32) (result i32)
    (call_ref $ii (i32.const 3) (table.get $nn (i32.const 0))))
)"#;

#[test]
fn call_ref_and_branches_on_null() {
    for opts in all_options() {
        let i = instantiate_with(WAT, &opts);
        assert_eq!(call(&i, "call", &[I32(1), I32(41)]), Ok(vec![I32(42)]));
        assert_eq!(call(&i, "call", &[I32(2), I32(21)]), Ok(vec![I32(42)]));
        assert_eq!(call(&i, "tail", &[I32(2), I32(4)]), Ok(vec![I32(8)]));
        assert_eq!(call(&i, "as_non_null", &[I32(1)]), Ok(vec![I32(11)]));
        assert_eq!(call(&i, "on_null", &[I32(0)]), Ok(vec![I32(-1)]));
        assert_eq!(call(&i, "on_null", &[I32(2)]), Ok(vec![I32(10)]));
        assert_eq!(call(&i, "on_non_null", &[I32(0)]), Ok(vec![I32(-2)]));
        assert_eq!(call(&i, "on_non_null", &[I32(1)]), Ok(vec![I32(8)]));
        assert_eq!(call(&i, "from_table", &[I32(0)]), Ok(vec![I32(4)]));
    }
}

#[test]
fn null_references_trap_with_their_kind() {
    let i = instantiate(WAT);
    let kind = |name, args: &[_]| call(&i, name, args).unwrap_err().kind;
    assert_eq!(kind("call", &[I32(0), I32(1)]), TrapKind::NullFunctionReference);
    assert_eq!(kind("tail", &[I32(0), I32(1)]), TrapKind::NullFunctionReference);
    assert_eq!(kind("as_non_null", &[I32(0)]), TrapKind::NullReference);
    assert_eq!(TrapKind::NullFunctionReference.message(), "null function reference");
}

fn instance(store: &'static Store, wat: &str, resolve: &dyn Fn(&str, &str) -> Option<hayabusa_compiler_host::Extern>) -> Result<Instance, String> {
    let wasm = wat::parse_str(wat).unwrap();
    let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
    Instance::new(store, Arc::new(module), &wasm, resolve).map_err(|e| e.to_string())
}

/// The same signature at different type indices in two modules links; a different one does not.
#[test]
fn typed_imports_match_by_canonical_type() {
    let store: &'static Store = Box::leak(Box::new(Store::new()));
    let a = instance(
        store,
        r#"(module (type $ii (func (param i32) (result i32)))
             (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
             (func (export "take") (param (ref $ii)) (result i32) (call_ref $ii (i32.const 1) (local.get 0)))
             (global (export "g") (ref $ii) (ref.func $inc))
             (table (export "t") 1 (ref null $ii)))"#,
        &|_, _| None,
    )
    .unwrap();
    let resolve = move |m: &str, n: &str| if m == "a" { a.export(n) } else { None };
    let ok = r#"(module (type $v (func)) (type $ii (func (param i32) (result i32)))
                  (import "a" "take" (func $take (param (ref $ii)) (result i32)))
                  (import "a" "g" (global $g (ref $ii)))
                  (import "a" "t" (table 1 (ref null $ii)))
                  (func (export "run") (result i32) (call $take (global.get $g))))"#;
    let b = instance(store, ok, &resolve).unwrap();
    assert_eq!(call(&b, "run", &[]), Ok(vec![I32(2)]));
    // An immutable global may be imported at a supertype.
    let sup = r#"(module (import "a" "g" (global funcref)))"#;
    assert!(instance(store, sup, &resolve).is_ok());
    for bad in [
        r#"(module (type $l (func (param i64) (result i32))) (import "a" "take" (func (param (ref $l)) (result i32))))"#,
        r#"(module (type $l (func (param i64) (result i32))) (import "a" "g" (global (ref $l))))"#,
        r#"(module (import "a" "t" (table 1 funcref)))"#,
    ] {
        let e = instance(store, bad, &resolve).err().expect("refused");
        assert!(e.contains("incompatible import type"), "{bad}: {e}");
    }
}

//! Tail calls (`return_call`, `return_call_indirect`): an endless tail recursion runs in constant
//! stack (also with arguments on the stack and across instances and host functions), while an
//! endless ordinary recursion still ends in stack exhaustion; indirect tail calls check like
//! `call_indirect`.

mod common;
use common::*;
use hayabusa_compiler::TrapKind;
use hayabusa_compiler_host::Val::{I32, I64};
use hayabusa_compiler::{Sig, ValType};
use hayabusa_compiler_host::{Extern, FuncHandle, Instance, Store, Val};
use std::sync::Arc;

/// Ten million calls: without frame reuse they would need hundreds of MiB of stack, so each of
/// these returning at all shows the calls ran in constant stack.
const DEPTH: i32 = 10_000_000;

const WAT: &str = r#"
(module
  (type $ii (func (param i32) (result i32)))
  (type $many (func (param i32 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64)))
  (import "env" "id" (func $id (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $even $odd $many)
  ;; countdown: n == 0 ? 0 : countdown(n - 1) as a tail call.
  (func $countdown (export "countdown") (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
    (return_call $countdown (i32.sub (local.get 0) (i32.const 1))))
  ;; Mutual recursion through the table: even/odd by index 0 and 1.
  (func $even (export "even") (type $ii)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 1))))
    (return_call_indirect (type $ii) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1)))
  (func $odd (type $ii)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
    (return_call_indirect (type $ii) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0)))
  ;; Eleven arguments, so some travel on the stack; they rotate each round.
  (func $many (export "many") (type $many)
    (if (i32.eqz (local.get 0))
      (then (return (i64.add (local.get 1) (i64.mul (local.get 10) (i64.const 1000))))))
    (return_call $many (i32.sub (local.get 0) (i32.const 1))
      (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6)
      (local.get 7) (local.get 8) (local.get 9) (local.get 10) (local.get 1)))
  ;; A tail call to a host function returns its results to this function's caller.
  (func (export "via_host") (param i32) (result i32)
    (return_call $id (i32.add (local.get 0) (i32.const 1))))
  (func $few (param i32) (result i64)
    (return_call $many (local.get 0) (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
      (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9) (i64.const 10)))
  (func (export "few") (param i32) (result i64) (call $few (local.get 0)))
  ;; The ordinary call: still stack exhaustion.
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "dispatch") (param i32 i32) (result i32)
    (return_call_indirect (type $ii) (local.get 1) (local.get 0)))
)"#;

fn host_id() -> FuncHandle {
    FuncHandle::host(
        Sig { params: vec![ValType::I32], results: vec![ValType::I32] },
        Box::new(|args: &[Val]| vec![args[0]]),
    )
}

fn instantiate_tail(opts: &hayabusa_compiler::CompileOptions) -> Instance {
    let wasm = wat::parse_str(WAT).unwrap();
    let module = hayabusa_compiler::compile(&wasm, opts).unwrap();
    let store: &'static Store = Box::leak(Box::new(Store::new()));
    let id = host_id();
    let resolve = move |m: &str, n: &str| (m == "env" && n == "id").then(|| Extern::Func(id.clone()));
    Instance::new(store, Arc::new(module), &wasm, &resolve).unwrap()
}

#[test]
fn endless_tail_recursion_runs_in_constant_stack() {
    for opts in all_options() {
        let i = instantiate_tail(&opts);
        assert_eq!(call(&i, "countdown", &[I32(DEPTH)]), Ok(vec![I32(0)]), "{opts:?}");
        assert_eq!(call(&i, "even", &[I32(DEPTH + 1)]), Ok(vec![I32(0)]), "{opts:?}");
        assert_eq!(call(&i, "even", &[I32(DEPTH)]), Ok(vec![I32(1)]), "{opts:?}");
        // 10 rotations of the ten i64 arguments bring them back: first is 1, last is 10.
        assert_eq!(call(&i, "many", &[I32(DEPTH), I64(1), I64(2), I64(3), I64(4), I64(5), I64(6), I64(7), I64(8), I64(9), I64(10)]), Ok(vec![I64(10_001)]), "{opts:?}");
        assert_eq!(call(&i, "few", &[I32(3)]), Ok(vec![I64(4 + 3 * 1000)]), "{opts:?}");
        // The non-tail recursion must still be caught, and the instance stays usable.
        assert_eq!(call(&i, "recurse", &[I32(0)]).unwrap_err().kind, TrapKind::StackOverflow, "{opts:?}");
        assert_eq!(call(&i, "countdown", &[I32(5)]), Ok(vec![I32(0)]));
    }
}

#[test]
fn tail_call_to_a_host_function() {
    let i = instantiate_tail(&options(Default::default(), Default::default()));
    assert_eq!(call(&i, "via_host", &[I32(41)]), Ok(vec![I32(42)]));
}

#[test]
fn return_call_indirect_checks_like_call_indirect() {
    let i = instantiate_tail(&options(Default::default(), Default::default()));
    assert_eq!(call(&i, "dispatch", &[I32(0), I32(4)]), Ok(vec![I32(1)]));
    let kind = |idx| call(&i, "dispatch", &[I32(idx), I32(0)]).unwrap_err().kind;
    assert_eq!(kind(2), TrapKind::IndirectCallTypeMismatch);
    assert_eq!(kind(3), TrapKind::UninitializedElement);
    assert_eq!(kind(4), TrapKind::UndefinedElement);
}

/// A tail call into another instance's export runs with that instance's vmctx (its global).
#[test]
fn tail_call_across_instances_uses_the_callees_context() {
    let store: &'static Store = Box::leak(Box::new(Store::new()));
    let opts = options(Default::default(), Default::default());
    let a_wasm = wat::parse_str(
        r#"(module (global $g i32 (i32.const 1000))
             (func (export "add_g") (param i32) (result i32) (i32.add (local.get 0) (global.get $g))))"#,
    )
    .unwrap();
    let a = Instance::new(store, Arc::new(hayabusa_compiler::compile(&a_wasm, &opts).unwrap()), &a_wasm, &|_, _| None).unwrap();
    let b_wasm = wat::parse_str(
        r#"(module (import "a" "add_g" (func $f (param i32) (result i32)))
             (global $g i32 (i32.const 5))
             (func (export "f") (param i32) (result i32) (return_call $f (i32.add (local.get 0) (global.get $g)))))"#,
    )
    .unwrap();
    let resolve = move |m: &str, n: &str| if m == "a" { a.export(n) } else { None };
    let b = Instance::new(store, Arc::new(hayabusa_compiler::compile(&b_wasm, &opts).unwrap()), &b_wasm, &resolve).unwrap();
    assert_eq!(call(&b, "f", &[I32(1)]), Ok(vec![I32(1006)]));
}

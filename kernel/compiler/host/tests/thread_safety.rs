//! The runtime's shared types are `Send + Sync`, and no runtime lock is held across a call into compiled code (host functions re-entering their instance do not deadlock).

mod common;
use common::*;
use hayabusa_compiler::{Sig, ValType};
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::{Extern, FuncHandle, Global, Instance, Memory, Store, Table, Trap, Val};
use std::sync::{Arc, OnceLock};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<Instance>();
    assert_send_sync::<FuncHandle>();
    assert_send_sync::<Extern>();
    assert_send_sync::<Store>();
    assert_send_sync::<Memory>();
    assert_send_sync::<Table>();
    assert_send_sync::<Global>();
    assert_send_sync::<Val>();
    assert_send_sync::<Trap>();
    assert_send_sync::<hayabusa_runtime::instance::InstanceInner<hayabusa_compiler_host::Linux>>();
}

const REENTER: &str = r#"
(module
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (data $d "\2a")
  (elem $e func $leaf)
  (func $leaf (result i32) (i32.const 7))
  ;; Uses every builtin that takes a runtime lock, then calls the host, which calls back in.
  (func (export "outer") (param i32) (result i32)
    (drop (memory.grow (i32.const 1)))
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))
    (drop (table.grow $t (ref.null func) (i32.const 1)))
    (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))
    (call $reenter (local.get 0)))
  (func (export "inner") (param i32) (result i32)
    (drop (memory.grow (i32.const 1)))
    (memory.fill (i32.const 1) (i32.const 1) (i32.const 3))
    (memory.copy (i32.const 4) (i32.const 0) (i32.const 4))
    (table.fill $t (i32.const 1) (ref.null func) (i32.const 1))
    (table.copy $t $t (i32.const 1) (i32.const 0) (i32.const 1))
    (i32.add (local.get 0) (i32.load8_u (i32.const 4))))
  (func (export "pages") (result i32) (memory.size))
  (func (export "size") (result i32) (table.size $t))
)"#;

#[test]
fn host_functions_reenter_their_instance() {
    let me: Arc<OnceLock<Instance>> = Arc::new(OnceLock::new());
    let bound = me.clone();
    let reenter = FuncHandle::host(
        Sig { params: vec![ValType::I32], results: vec![ValType::I32] },
        Box::new(move |args| {
            let inst = bound.get().expect("bound after instantiation");
            // The runtime's own memory and table operations, from inside a Wasm call.
            assert!(inst.memory().unwrap().grow(1).is_some());
            call(inst, "inner", args).expect("inner call")
        }),
    );
    let wasm = wat::parse_str(REENTER).unwrap();
    let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
    let store = Store::new();
    let resolve = |m: &str, n: &str| match (m, n) {
        ("env", "reenter") => Some(Extern::Func(reenter.clone())),
        _ => None,
    };
    let i = Instance::new(&store, Arc::new(module), &wasm, &resolve).unwrap();
    assert!(me.set(i.clone()).is_ok());
    assert_eq!(call(&i, "outer", &[I32(100)]), Ok(vec![I32(142)]));
    assert_eq!(call(&i, "pages", &[]), Ok(vec![I32(4)]));
    assert_eq!(call(&i, "size", &[]), Ok(vec![I32(2)]));
    assert_eq!(i.memory().unwrap().read(0, 8), Some(vec![42, 1, 1, 1, 42, 1, 1, 1]));
}

#[test]
fn instances_move_between_threads() {
    let (store, inst) = std::thread::spawn(|| {
        let store = Store::new();
        let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (data (i32.const 0) "hi"))"#).unwrap();
        let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
        let inst = Instance::new(&store, Arc::new(module), &wasm, &|_, _| None).unwrap();
        (store, inst)
    })
    .join()
    .unwrap();
    let mem = inst.memory().unwrap().clone();
    let reader = std::thread::spawn(move || mem.read(0, 2));
    assert_eq!(reader.join().unwrap(), Some(b"hi".to_vec()));
    drop((inst, store));
}

//! Host functions that work on the calling instance's linear memory (the shape of the kernel's
//! IPC imports): the memory is bound after instantiation, the function reads and writes it by
//! Wasm address with bounds checks; raw-slot host functions and `call_raw` need no allocation.

mod common;
use common::*;
use hayabusa_compiler::{Sig, ValType};
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::{Extern, FuncHandle, Instance, Memory, Store};
use std::sync::{Arc, Mutex};

const WAT: &str = r#"
(module
  (import "env" "checksum" (func $checksum (param i32 i32) (result i32)))
  (import "env" "double" (func $double (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "\01\02\03\04")
  (func (export "sum") (param i32 i32) (result i32) (call $checksum (local.get 0) (local.get 1)))
  (func (export "quad") (param i32) (result i32) (call $double (call $double (local.get 0))))
  (func (export "first") (result i32) (i32.load8_u (i32.const 16)))
)"#;

#[test]
fn host_functions_reach_the_callers_memory() {
    let memory: Arc<Mutex<Option<Arc<Memory>>>> = Arc::new(Mutex::new(None));
    let bound = memory.clone();
    let i32s = |n| vec![ValType::I32; n];
    // Sums the bytes at [ptr, ptr + len) and overwrites the first with the sum; -1 if out of bounds.
    let checksum = FuncHandle::host(
        Sig { params: i32s(2), results: i32s(1) },
        Box::new(move |args| {
            let (I32(ptr), I32(len)) = (args[0], args[1]) else { panic!("i32 arguments") };
            let mem = bound.lock().unwrap().clone();
            let mem = mem.as_ref().expect("bound after instantiation");
            let Some(bytes) = mem.read(ptr as u32 as u64, len as u32 as u64) else { return vec![I32(-1)] };
            let sum = bytes.iter().map(|b| u32::from(*b)).sum::<u32>() as i32;
            assert!(mem.write(ptr as u32 as u64, &[sum as u8]));
            vec![I32(sum)]
        }),
    );
    let double = FuncHandle::host_raw(Sig { params: i32s(1), results: i32s(1) }, |slots| slots[0] = (slots[0] as u32 * 2) as u64);
    let wasm = wat::parse_str(WAT).unwrap();
    let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
    let store = Store::new();
    let resolve = |m: &str, n: &str| match (m, n) {
        ("env", "checksum") => Some(Extern::Func(checksum.clone())),
        ("env", "double") => Some(Extern::Func(double.clone())),
        _ => None,
    };
    let i = Instance::new(&store, Arc::new(module), &wasm, &resolve).unwrap();
    *memory.lock().unwrap() = i.memory().cloned();

    assert_eq!(call(&i, "sum", &[I32(16), I32(4)]), Ok(vec![I32(10)]));
    assert_eq!(call(&i, "first", &[]), Ok(vec![I32(10)]));
    assert_eq!(call(&i, "sum", &[I32(65535), I32(2)]), Ok(vec![I32(-1)]));
    assert_eq!(call(&i, "quad", &[I32(5)]), Ok(vec![I32(20)]));

    let quad = i.export_func("quad").unwrap();
    let mut slots = vec![0u64; quad.slots()];
    slots[0] = 7;
    quad.call_raw(&mut slots).unwrap();
    assert_eq!(slots[0], 28);
    // A raw host function called directly, without Wasm in between.
    assert_eq!(double.call(&[I32(21)]), Ok(vec![I32(42)]));
}

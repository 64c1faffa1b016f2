//! `v128` across every boundary the runtime owns: entry and host trampolines (two slots per
//! `v128`, mixed with scalars), host functions on values and on raw slots, imported and
//! exported globals (16-byte cells), `select`, and a memory trap in a lane load.

mod common;
use common::*;
use hayabusa_compiler::module::GlobalType;
use hayabusa_compiler::{Sig, TrapKind, ValType};
use hayabusa_compiler_host::Val::{F64, I32, I64, V128};
use hayabusa_compiler_host::{Extern, FuncHandle, Global, Instance, Store, Val};
use std::sync::Arc;

const MODULE: &str = r#"
(module
  (import "env" "mix" (func $mix (param i32 v128 f64) (result v128 i64)))
  (import "env" "raw" (func $raw (param v128) (result v128)))
  (import "env" "g" (global $g (mut v128)))
  (global $own (export "own") (mut v128) (v128.const i32x4 1 2 3 4))
  (memory 1)
  ;; Calls both host functions; adds what they return, keeps the i64 below the vector.
  (func (export "through_host") (param $a i32) (param $v v128) (param $f f64) (result i64 v128 i32)
    (local $r v128) (local $n i64)
    (call $mix (local.get $a) (local.get $v) (local.get $f))
    (local.set $n)
    (local.set $r)
    (local.get $n)
    (i64x2.add (local.get $r) (call $raw (local.get $v)))
    (local.get $a))
  (func (export "globals") (param v128) (result v128)
    (global.set $g (i8x16.add (global.get $g) (local.get 0)))
    (global.set $own (global.get $g))
    (global.get $own))
  (func (export "pick") (param v128 v128 i32) (result v128)
    (select (local.get 0) (local.get 1) (local.get 2)))
  (func (export "lane_at") (param i32) (result v128)
    (v128.load8_lane 15 (local.get 0) (v128.const i64x2 0 0)))
)"#;

fn v(lo: u64, hi: u64) -> Val {
    V128(u128::from(hi) << 64 | u128::from(lo))
}

#[test]
fn v128_through_trampolines_host_functions_and_globals() {
    for opts in all_options() {
        let mix = FuncHandle::host(
            Sig { params: vec![ValType::I32, ValType::V128, ValType::F64], results: vec![ValType::V128, ValType::I64] },
            Box::new(|args: &[Val]| {
                let (I32(a), V128(x), F64(f)) = (args[0], args[1], args[2]) else { panic!("mix arguments: {args:?}") };
                vec![V128(x.rotate_left(64)), I64(i64::from(a) + f64::from_bits(f) as i64)]
            }),
        );
        // Raw slots: the v128 argument is slots 0 (low half) and 1 (high half).
        let raw = FuncHandle::host_raw(
            Sig { params: vec![ValType::V128], results: vec![ValType::V128] },
            |slots: &mut [u64]| slots.swap(0, 1),
        );
        let g = Arc::new(Global::new(GlobalType { ty: ValType::V128, mutable: true }, v(0x0101, 0xff00)));
        let wasm = wat::parse_str(MODULE).unwrap();
        let module = hayabusa_compiler::compile(&wasm, &opts).unwrap();
        let store = Store::new();
        let g2 = g.clone();
        let resolve = move |m: &str, n: &str| match (m, n) {
            ("env", "mix") => Some(Extern::Func(mix.clone())),
            ("env", "raw") => Some(Extern::Func(raw.clone())),
            ("env", "g") => Some(Extern::Global(g2.clone())),
            _ => None,
        };
        let i = Instance::new(&store, Arc::new(module), &wasm, &resolve).unwrap();

        // mix swaps the halves, raw swaps them too: their i64x2 sum is each half doubled.
        let got = call(&i, "through_host", &[I32(5), v(0x1111, 0x2222), F64(2.5f64.to_bits())]);
        assert_eq!(got, Ok(vec![I64(7), v(0x4444, 0x2222), I32(5)]));

        // Byte-wise add onto the imported global (0xff00 + 0x0101 wraps in its top byte).
        assert_eq!(call(&i, "globals", &[v(0x0101, 0x0101)]), Ok(vec![v(0x0202, 0x0001)]));
        assert_eq!(g.get(), v(0x0202, 0x0001), "the import's cell holds all 16 bytes");
        let Some(Extern::Global(own)) = i.export("own") else { panic!("own is exported") };
        assert_eq!(own.get(), v(0x0202, 0x0001));

        assert_eq!(call(&i, "pick", &[v(1, 2), v(3, 4), I32(1)]), Ok(vec![v(1, 2)]));
        assert_eq!(call(&i, "pick", &[v(1, 2), v(3, 4), I32(0)]), Ok(vec![v(3, 4)]));

        // The last byte of memory loads; one past it traps as out of bounds, in either mode.
        assert_eq!(call(&i, "lane_at", &[I32(65535)]), Ok(vec![v(0, 0)]));
        let trap = call(&i, "lane_at", &[I32(65536)]).unwrap_err();
        assert_eq!(trap.kind, TrapKind::MemoryOutOfBounds, "{trap}");
        assert!(trap.wasm_offset != 0, "{trap}");
    }
}

/// A global initialised with `v128.const` holds all 16 bytes.
#[test]
fn v128_global_initialiser() {
    let i = instantiate(r#"(module (global (export "b") v128 (v128.const i64x2 0x1122334455667788 -1)))"#);
    let Some(Extern::Global(b)) = i.export("b") else { panic!("b is exported") };
    assert_eq!(b.get(), v(0x1122_3344_5566_7788, u64::MAX));
}

//! Traps end the call with the right kind, function name and Wasm offset, in every mode; the
//! instance stays usable afterwards.

mod common;
use common::*;
use hayabusa_compiler::TrapKind;
use hayabusa_compiler_host::Val::I32;

const WAT: &str = r#"
(module
  (type $ii (func (param i32) (result i32)))
  (memory 1)
  (table 3 funcref)
  (elem (i32.const 0) $inc $unit)
  (func $inc (type $ii) local.get 0 i32.const 1 i32.add)
  (func $unit)
  (func $boom (export "boom") unreachable)
  (func $load (export "load") (param i32) (result i32) local.get 0 i32.load offset=4)
  (func $store (export "store") (param i32) local.get 0 i32.const 7 i32.store8)
  (func $recurse (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $recurse)
  (func (export "dispatch") (param i32 i32) (result i32)
    local.get 1 local.get 0 call_indirect (type $ii))
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
)"#;

#[test]
fn unreachable_reports_function_and_offset() {
    let i = instantiate(WAT);
    let t = call(&i, "boom", &[]).unwrap_err();
    assert_eq!(t.kind, TrapKind::Unreachable);
    assert_eq!(t.func, "boom");
    // The offset is the `unreachable` opcode (0x00) inside $boom's body.
    let wasm = wat::parse_str(WAT).unwrap();
    assert_eq!(wasm[t.wasm_offset as usize], 0x00);
    assert!(t.to_string().contains("in boom at wasm offset"));
}

#[test]
fn out_of_bounds_memory_in_both_bounds_modes() {
    for opts in all_options() {
        let i = instantiate_with(WAT, &opts);
        assert_eq!(call(&i, "store", &[I32(65535)]), Ok(vec![]));
        assert_eq!(call(&i, "load", &[I32(65528)]), Ok(vec![I32(7 << 24)]));
        for addr in [65529, 65535, -1, i32::MIN] {
            let t = call(&i, "load", &[I32(addr)]).unwrap_err();
            assert_eq!(t.kind, TrapKind::MemoryOutOfBounds, "{opts:?} load at {addr}");
            assert_eq!(t.func, "load");
        }
        assert_eq!(call(&i, "store", &[I32(65536)]).unwrap_err().kind, TrapKind::MemoryOutOfBounds);
        // memory.grow makes the same address valid.
        assert_eq!(call(&i, "grow", &[I32(1)]), Ok(vec![I32(1)]));
        assert_eq!(call(&i, "load", &[I32(65532)]), Ok(vec![I32(0)]));
        assert_eq!(call(&i, "grow", &[I32(70000)]), Ok(vec![I32(-1)]));
    }
}

#[test]
fn indirect_calls_check_bounds_null_and_type() {
    let i = instantiate(WAT);
    assert_eq!(call(&i, "dispatch", &[I32(0), I32(41)]), Ok(vec![I32(42)]));
    let kind = |idx| call(&i, "dispatch", &[I32(idx), I32(0)]).unwrap_err().kind;
    assert_eq!(kind(1), TrapKind::IndirectCallTypeMismatch);
    assert_eq!(kind(2), TrapKind::UninitializedElement);
    assert_eq!(kind(3), TrapKind::UndefinedElement);
}

#[test]
fn deep_recursion_is_stack_exhaustion() {
    for opts in all_options() {
        let i = instantiate_with(WAT, &opts);
        let t = call(&i, "recurse", &[I32(0)]).unwrap_err();
        assert_eq!(t.kind, TrapKind::StackOverflow);
        assert_eq!(call(&i, "dispatch", &[I32(0), I32(1)]), Ok(vec![I32(2)]));
    }
}

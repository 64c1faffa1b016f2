//! Integer and float arithmetic, conversions and division traps on the host.

mod common;
use common::*;
use hayabusa_compiler::TrapKind;
use hayabusa_compiler_host::Val::{self, F64, I32, I64};

const WAT: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "div_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "rem_s") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s)
  (func (export "clz") (param i64) (result i64) local.get 0 i64.clz)
  (func (export "fma") (param f64 f64 f64) (result f64) local.get 0 local.get 1 f64.mul local.get 2 f64.add)
  (func (export "nearest") (param f64) (result f64) local.get 0 f64.nearest)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "sat") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_s)
  (func (export "ext8") (param i32) (result i32) local.get 0 i32.extend8_s)
)"#;

fn f64v(x: f64) -> Val {
    F64(x.to_bits())
}

#[test]
fn arithmetic_in_every_mode() {
    for opts in all_options() {
        let i = instantiate_with(WAT, &opts);
        assert_eq!(call(&i, "add", &[I32(40), I32(2)]), Ok(vec![I32(42)]));
        assert_eq!(call(&i, "add", &[I32(i32::MAX), I32(1)]), Ok(vec![I32(i32::MIN)]));
        assert_eq!(call(&i, "div_s", &[I32(-7), I32(2)]), Ok(vec![I32(-3)]));
        assert_eq!(call(&i, "rem_s", &[I64(i64::MIN), I64(-1)]), Ok(vec![I64(0)]));
        assert_eq!(call(&i, "clz", &[I64(1)]), Ok(vec![I64(63)]));
        assert_eq!(call(&i, "fma", &[f64v(1.5), f64v(2.0), f64v(0.25)]), Ok(vec![f64v(3.25)]));
        assert_eq!(call(&i, "nearest", &[f64v(2.5)]), Ok(vec![f64v(2.0)]));
        assert_eq!(call(&i, "sat", &[f64v(1e20)]), Ok(vec![I32(i32::MAX)]));
        assert_eq!(call(&i, "ext8", &[I32(0x80)]), Ok(vec![I32(-128)]));
    }
}

#[test]
fn division_and_conversion_traps() {
    let i = instantiate(WAT);
    let kind = |r: Result<Vec<Val>, hayabusa_compiler_host::Trap>| r.unwrap_err().kind;
    assert_eq!(kind(call(&i, "div_s", &[I32(1), I32(0)])), TrapKind::IntegerDivideByZero);
    assert_eq!(kind(call(&i, "div_s", &[I32(i32::MIN), I32(-1)])), TrapKind::IntegerOverflow);
    assert_eq!(kind(call(&i, "trunc", &[f64v(f64::NAN)])), TrapKind::BadConversionToInteger);
    assert_eq!(kind(call(&i, "trunc", &[f64v(3e9)])), TrapKind::IntegerOverflow);
    // A trap leaves the instance usable.
    assert_eq!(call(&i, "add", &[I32(1), I32(2)]), Ok(vec![I32(3)]));
}

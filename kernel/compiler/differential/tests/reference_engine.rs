//! The reference engine must itself be right on what the differential test met: wasmi 2.0.0
//! traps with "integer division by zero" on `memory.size % select(1, x, x == 0)` for x = 0 (the
//! divisor is 1), found by the differential test at its first run; wasmi 1.1 computes 0, as
//! this compiler does. Kept so that a wasmi upgrade is checked on it first.

use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel};
use hayabusa_compiler_host::{Instance, Store, Val};
use std::sync::Arc;

const MODULE: &str = r#"(module (memory 1 4)
  (func (export "rem") (param i32) (result i32)
    (i32.rem_u (memory.size) (select (i32.const 1) (local.get 0) (i32.eqz (local.get 0)))))
  (func (export "div") (param i32) (result i32)
    (i32.div_u (memory.grow (i32.const 1000)) (select (i32.const 1) (local.get 0) (i32.eqz (local.get 0))))))"#;

fn on_wasmi(wasm: &[u8], export: &str) -> Result<i32, String> {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, wasm).map_err(|e| e.to_string())?;
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Instance::new(&mut store, &module, &[]).map_err(|e| e.to_string())?;
    let f = instance.get_func(&store, export).ok_or("no export")?;
    let mut out = [wasmi::Val::I32(0)];
    f.call(&mut store, &[wasmi::Val::I32(0)], &mut out).map_err(|e| e.to_string())?;
    out[0].i32().ok_or_else(|| "not an i32".to_string())
}

fn on_hayabusa(wasm: &[u8], export: &str) -> Result<i32, String> {
    let opts = CompileOptions { opt: OptLevel::Speed, bounds: BoundsChecks::Guard, cpu: hayabusa_compiler_host::cpu::host_features(), clock: None };
    let module = hayabusa_compiler::compile(wasm, &opts).map_err(|e| e.to_string())?;
    let store = Store::new();
    let instance = Instance::new(&store, Arc::new(module), wasm, &|_, _| None).map_err(|e| e.to_string())?;
    match instance.export_func(export).ok_or("no export")?.call(&[Val::I32(0)]).map_err(|t| t.to_string())?[..] {
        [Val::I32(v)] => Ok(v),
        ref other => Err(format!("unexpected results {other:?}")),
    }
}

#[test]
fn division_by_a_select_that_is_never_zero() {
    let wasm = wat::parse_str(MODULE).expect("the module parses");
    assert_eq!(on_wasmi(&wasm, "rem"), Ok(0), "wasmi");
    assert_eq!(on_hayabusa(&wasm, "rem"), Ok(0), "hayabusa");
    // memory.grow fails (-1 = u32::MAX), divided by 1.
    assert_eq!(on_wasmi(&wasm, "div"), Ok(-1), "wasmi");
    assert_eq!(on_hayabusa(&wasm, "div"), Ok(-1), "hayabusa");
}

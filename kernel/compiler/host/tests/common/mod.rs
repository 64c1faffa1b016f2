//! Shared helpers for the host runtime tests: compile WAT, instantiate, call exports.

#![allow(dead_code)]

use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel};
use hayabusa_compiler_host::{Extern, Instance, Store, Trap, Val, cpu};
use std::sync::Arc;

pub fn options(opt: OptLevel, bounds: BoundsChecks) -> CompileOptions {
    CompileOptions { opt, cpu: cpu::host_features(), bounds, clock: None }
}

pub fn instantiate_with(wat: &str, opts: &CompileOptions) -> Instance {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let module = hayabusa_compiler::compile(&wasm, opts).expect("compiles");
    // Leaked: tests keep their instances for the whole process.
    let store: &'static Store = Box::leak(Box::new(Store::new()));
    Instance::new(store, Arc::new(module), &wasm, &|_, _| None).expect("instantiates")
}

pub fn instantiate(wat: &str) -> Instance {
    instantiate_with(wat, &options(OptLevel::Speed, BoundsChecks::Guard))
}

pub fn call(inst: &Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, Trap> {
    match inst.export(name) {
        Some(Extern::Func(f)) => f.call(args),
        _ => panic!("no exported function {name}"),
    }
}

/// Every combination of optimisation level and bounds-check mode.
pub fn all_options() -> Vec<CompileOptions> {
    let mut v = Vec::new();
    for opt in [OptLevel::None, OptLevel::Speed] {
        for b in [BoundsChecks::Guard, BoundsChecks::Explicit] {
            v.push(options(opt, b));
        }
    }
    v
}

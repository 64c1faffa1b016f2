//! Modules rustc produced for wasm32-unknown-unknown (release and debug builds of
//! `kernel/compiler/samples/rust-sample`: allocation, floats, indirect calls) give the same
//! results as the reference engine, recorded in `samples/rust-sample-expected.txt` by
//! `samples/make-reference.py` (wasmtime). Checked in every compile mode.

mod common;
use common::*;
use hayabusa_compiler_host::{Extern, Instance, Store, Val};
use std::path::PathBuf;
use std::sync::Arc;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples")
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s, 16).expect("hex bits")
}

#[test]
fn rust_sample_matches_reference_engine() {
    let expected = std::fs::read_to_string(samples().join("rust-sample-expected.txt")).unwrap();
    let mut checked = 0;
    for opts in all_options() {
        for profile in ["release", "debug"] {
            let wasm = std::fs::read(samples().join(format!("rust-sample-{profile}.wasm"))).unwrap();
            let module = hayabusa_compiler::compile(&wasm, &opts).expect("rustc output compiles");
            let store = Store::new();
            let inst = Instance::new(&store, Arc::new(module), &wasm, &|_, _| None).expect("instantiates");
            for line in expected.lines().filter(|l| l.starts_with(profile)) {
                let (call, want) = line.split_once(" => ").unwrap();
                let mut words = call.split_whitespace().skip(1);
                let name = words.next().unwrap();
                let Some(Extern::Func(f)) = inst.export(name) else { panic!("no export {name}") };
                let args: Vec<Val> = words.zip(&f.sig.params).map(|(w, t)| Val::from_slot(*t, hex(w))).collect();
                let got: Vec<u64> = f.call(&args).unwrap_or_else(|t| panic!("{line}: {t}")).iter().map(|v| v.to_slot()).collect();
                let want: Vec<u64> = want.split_whitespace().map(hex).collect();
                assert_eq!(got, want, "{profile} {opts:?}: {line}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 24);
}

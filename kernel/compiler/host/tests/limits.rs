//! A store's resource limits: memories and tables grow only to them (`-1` past them), the
//! instances of a store share its table-element budget, an instance whose initial sizes exceed
//! them does not instantiate, and a memory remembers its last refused growth.

mod common;
use common::*;
use hayabusa_compiler::{BoundsChecks, OptLevel};
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::{Instance, InstantiateError, Store};
use hayabusa_runtime::ResourceLimits;
use hayabusa_runtime::memory::Refusal;
use std::sync::Arc;

const WAT: &str = r#"
(module
  (memory (export "memory") 1)
  (table 2 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
)"#;

fn instantiate_in(store: &Store, wat: &str) -> Result<Instance, InstantiateError> {
    let wasm = wat::parse_str(wat).unwrap();
    let module = hayabusa_compiler::compile(&wasm, &options(OptLevel::Speed, BoundsChecks::Guard)).unwrap();
    Instance::new(store, Arc::new(module), &wasm, &|_, _| None)
}

#[test]
fn growth_stops_at_the_limits() {
    let store = Store::with_limits(ResourceLimits { memory_pages: 4, table_elements: 10 });
    let i = instantiate_in(&store, WAT).unwrap();
    let memory = i.memory().unwrap().clone();
    assert_eq!(memory.last_refusal(), None);
    assert_eq!(call(&i, "grow", &[I32(3)]), Ok(vec![I32(1)]), "1 -> 4 pages: at the limit");
    assert_eq!(call(&i, "grow", &[I32(1)]), Ok(vec![I32(-1)]), "5 pages: over it");
    assert_eq!(memory.last_refusal(), Some((5, Refusal::OverLimit)));
    assert_eq!(memory.pages(), 4);
    assert_eq!(call(&i, "tgrow", &[I32(8)]), Ok(vec![I32(2)]), "2 -> 10 elements: at the limit");
    assert_eq!(call(&i, "tgrow", &[I32(1)]), Ok(vec![I32(-1)]));
    // A second instance in the same store shares the element budget: none left for its table.
    let refused = instantiate_in(&store, WAT).err().expect("no elements left for a second table");
    assert!(refused.to_string().contains("table of 2 elements: over the limit (0 elements left)"), "{refused}");
}

#[test]
fn initial_sizes_over_the_limits_do_not_instantiate() {
    let store = Store::with_limits(ResourceLimits { memory_pages: 4, table_elements: 100 });
    let e = instantiate_in(&store, "(module (memory 5))").err().expect("5 pages over a limit of 4");
    assert!(e.to_string().contains("memory of 5 pages (320 KiB): over the limit of 4 pages (256 KiB)"), "{e}");
    let e = instantiate_in(&store, "(module (table 101 funcref))").err().expect("101 elements over 100");
    assert!(e.to_string().contains("table of 101 elements: over the limit (100 elements left)"), "{e}");
}

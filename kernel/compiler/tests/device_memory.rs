//! Device registers polled from Wasm code: a loop that reads the same address until it changes
//! must read memory on every iteration. With Cranelift's optimisation passes (`OptLevel::Speed`)
//! the read inside the loop is replaced by the value read before it (redundant-load
//! elimination: no store in between), which would spin for ever on a register; a task granted a
//! device is compiled at `OptLevel::None` (`hayabusa-tasks`, `compiled`), where no pass merges,
//! hoists or drops a load. This test shows both, so it fails if either stops being true.

use hayabusa_compiler::dump::dump_function;
use hayabusa_compiler::{CompileOptions, CpuFeatures, OptLevel, module, validate};

/// `poll(addr)`: reads the register once, then until it differs from that first value.
const POLL: &str = r#"
(module
  (memory 1)
  (func (export "poll") (param $addr i32) (result i32)
    (local $first i32)
    (local.set $first (i32.load (local.get $addr)))
    (loop $again
      (br_if $again (i32.eq (i32.load (local.get $addr)) (local.get $first))))
    (i32.load (local.get $addr))))
"#;

/// Loads of linear memory in the optimised CLIF: the `i32` loads that may trap (guard pages);
/// loads of the memory base from the vmctx are `notrap` and do not count.
fn heap_loads(opt: OptLevel) -> usize {
    let wasm = wat::parse_str(POLL).unwrap();
    validate::validate(&wasm).unwrap();
    let info = module::parse(&wasm).unwrap();
    let opts = CompileOptions { opt, cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
    let dump = dump_function(&wasm, &info, info.num_imported_funcs, &opts).unwrap();
    dump.clif_optimised.lines().filter(|l| l.contains("= load.i32") && !l.contains("notrap")).count()
}

#[test]
fn a_polling_loop_keeps_its_loads_only_without_optimisation() {
    let speed = heap_loads(OptLevel::Speed);
    let none = heap_loads(OptLevel::None);
    assert_eq!(none, 3, "without optimisation every Wasm load stays");
    assert!(speed < none, "the optimiser no longer merges the loop's load ({speed} loads): update docs/compiler.md");
}

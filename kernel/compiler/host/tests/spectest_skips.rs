//! The spec runner's skip rules on small scripts: listed directives still run (a passing one is
//! a stale skip), an unlisted unsupported module fails, a module that needs an unsupported
//! feature is reduced and only the exports the feature reaches are skipped, and references
//! compare by identity where the script names one.

use hayabusa_compiler::CompileOptions;
use hayabusa_compiler_host::cpu;
use hayabusa_compiler_host::spectest::{FileReport, Skips, run_file};

fn run(script: &str, skips: &str) -> FileReport {
    let skips = Skips::parse(skips).expect("skip list parses");
    let opts = CompileOptions { cpu: cpu::host_features(), ..Default::default() };
    run_file("t.wast", script, &skips, opts)
}

/// A module with one function that needs GC (`i31`), one that calls it, and two that do not.
const TAIL: &str = r#"(module
  (func $tail (export "tail") (result i32) (i31.get_s (ref.i31 (call $one))))
  (func $one (export "one") (result i32) (i32.const 1))
  (func (export "via-tail") (result i32) (call $tail))
  (func (export "two") (result i32) (i32.add (call $one) (i32.const 1)))
)
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "two") (i32.const 2))
(assert_return (invoke "tail") (i32.const 1))
(assert_return (invoke "via-tail") (i32.const 1))
"#;

#[test]
fn a_reduced_module_skips_only_what_reaches_the_feature() {
    let r = run(TAIL, "t.wast:1 gc");
    assert_eq!((r.passed, r.failed, r.skipped), (2, 0, 3), "{:?}", r.failures);
    assert_eq!(r.skipped_by.get("gc"), Some(&3));
}

#[test]
fn an_unlisted_unsupported_module_fails() {
    let r = run(TAIL, "");
    assert!(r.failed >= 1);
    assert!(r.failures[0].contains("unsupported feature gc") && r.failures[0].contains("does not list"), "{:?}", r.failures);
}

#[test]
fn a_listed_feature_must_be_the_one_missing() {
    let r = run(TAIL, "t.wast:1 simd");
    assert!(r.failures.iter().any(|f| f.contains("but the skip list names simd")), "{:?}", r.failures);
}

#[test]
fn a_listed_directive_that_passes_is_a_stale_skip() {
    // Line 7 passes, line 9 is skipped anyway (its export reaches the feature): both stale.
    let r = run(TAIL, "t.wast:1 gc\nt.wast:7 gc\nt.wast:9 gc");
    assert_eq!(r.stale, vec!["t.wast:7".to_string(), "t.wast:9".to_string()], "{:?}", r.failures);
    assert_eq!(r.failed, 2);
}

#[test]
fn a_listed_directive_that_fails_counts_as_skipped() {
    let script = "(module (func (export \"f\") (result i32) (i32.const 1)))\n(assert_return (invoke \"f\") (i32.const 2))\n";
    let r = run(script, "t.wast:2 gc  (state a skipped directive would have written)");
    assert_eq!((r.passed, r.failed, r.skipped), (1, 0, 1), "{:?}", r.failures);
}

#[test]
fn a_file_entry_that_skips_nothing_is_stale() {
    let script = "(module (func (export \"f\") (result i32) (i32.const 1)))\n(assert_return (invoke \"f\") (i32.const 1))\n";
    let r = run(script, "t.wast simd");
    assert_eq!(r.stale, vec!["t.wast".to_string()]);
    assert_eq!((r.passed, r.failed), (2, 1));
}

#[test]
fn dropped_tags_skip_only_their_importers() {
    let script = r#"(module
  (func (export "f") (result i32) (i32.const 7))
  (tag (export "tag"))
)
(register "m")
(module (import "m" "f" (func $f (result i32))) (func (export "g") (result i32) (call $f)))
(assert_return (invoke "g") (i32.const 7))
(assert_unlinkable (module (import "m" "tag" (func))) "incompatible import type")
"#;
    let r = run(script, "t.wast:1 exceptions");
    // Passed: register, the importing module, its assertion; skipped: the reduced module and
    // the module importing the dropped tag.
    assert_eq!((r.passed, r.failed, r.skipped), (3, 0, 2), "{:?}", r.failures);
}

#[test]
fn function_references_compare_by_identity() {
    let script = r#"(module
  (func $a) (func $b) (elem declare func $a)
  (func (export "a") (result funcref) (ref.func $a))
  (func (export "null") (result funcref) (ref.null func))
  (func (export "xnull") (result externref) (ref.null extern))
)
(assert_return (invoke "a") (ref.func 0))
(assert_return (invoke "a") (ref.func 1))
(assert_return (invoke "a") (ref.func))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "xnull") (ref.null func))
"#;
    let r = run(script, "");
    assert_eq!((r.passed, r.failed), (4, 2), "{:?}", r.failures);
    assert!(r.failures[0].starts_with("t.wast:8:"), "{:?}", r.failures);
    assert!(r.failures[1].starts_with("t.wast:11:"), "{:?}", r.failures);
}

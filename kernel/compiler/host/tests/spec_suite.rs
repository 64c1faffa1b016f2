//! The WebAssembly spec suite (`../shared/wasm-testsuite` beside the repo) must run with 0
//! failures, skipping only what `kernel/compiler/spectest-skips.txt` allows and with no stale
//! entry in it (docs/compiler.md, "Spec suite: skip rules"). Same runner as `cargo xtask
//! spectest`; here it runs in two configurations so CI covers both code paths, and its SIMD
//! files once more without AVX.

use hayabusa_compiler::{BoundsChecks, CompileOptions, CpuFeatures, OptLevel};
use hayabusa_compiler_host::STACK_BUDGET;
use hayabusa_compiler_host::spectest::{Skips, run_file};
use hayabusa_compiler_host::cpu;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn run_suite(opts: CompileOptions, only: fn(&str) -> bool) -> (usize, usize, usize, Vec<String>) {
    let skips = Skips::parse(&std::fs::read_to_string(repo().join("kernel/compiler/spectest-skips.txt")).unwrap())
        .expect("skip list parses");
    let dir = repo().join("../shared/wasm-testsuite");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the spec suite must be at {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wast"))
        .collect();
    files.sort();
    assert!(files.len() > 100, "expected the full spec suite in {}", dir.display());
    let (mut p, mut f, mut s, mut failures) = (0, 0, 0, Vec::new());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !only(&name) {
            continue;
        }
        let r = run_file(&name, &std::fs::read_to_string(&path).unwrap(), &skips, opts);
        p += r.passed;
        f += r.failed;
        s += r.skipped;
        failures.extend(r.failures);
    }
    (p, f, s, failures)
}

fn check(opt: OptLevel, bounds: BoundsChecks) {
    check_with(opt, bounds, cpu::host_features(), |_| true, 20_000);
}

fn check_with(opt: OptLevel, bounds: BoundsChecks, cpu: CpuFeatures, only: fn(&str) -> bool, min_passed: usize) {
    STACK_BUDGET.store(64 << 20, Ordering::Relaxed);
    let opts = CompileOptions { opt, bounds, cpu, clock: None };
    let (p, f, s, failures) = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run_suite(opts, only))
        .unwrap()
        .join()
        .unwrap();
    println!("spec suite ({opt:?}, {bounds:?}): {p} passed, {f} failed, {s} skipped");
    for line in failures.iter().take(40) {
        println!("  {line}");
    }
    assert_eq!(f, 0, "spec suite failures");
    assert!(p > min_passed, "suspiciously few assertions passed: {p}");
}

#[test]
fn spec_suite_optimised_with_guard_pages() {
    check(OptLevel::Speed, BoundsChecks::Guard);
}

#[test]
fn spec_suite_unoptimised_with_explicit_bounds_checks() {
    check(OptLevel::None, BoundsChecks::Explicit);
}

/// The SIMD files again with SSE4.2 and no AVX (`x86-64-v2`), the least the compiler accepts:
/// Cranelift lowers SIMD differently without AVX, and the kernel may run on such a CPU.
#[test]
fn spec_suite_simd_without_avx() {
    check_with(OptLevel::Speed, BoundsChecks::Guard, CpuFeatures::x86_64_v2(), |name| name.starts_with("simd_"), 25_000);
}

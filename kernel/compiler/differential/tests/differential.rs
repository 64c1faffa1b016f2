//! 1,200 seeded wasm-smith modules (multi-value, reference types, bulk memory, SIMD, ...: the shared
//! configuration of `hayabusa-smith`) run on this compiler and on wasmi with random arguments;
//! every call's results, trap kind and the state after it must agree. A failure prints the seed
//! and writes the module; `cargo xtask differential --seed S --count 1` runs it again.

use hayabusa_compiler::{BoundsChecks, OptLevel};
use hayabusa_differential::{Options, Outcome, run_on_big_stack, run_seeds};

/// Seeds of the CI run; the long run (`cargo xtask differential`) starts at 0 too and goes on.
const SEEDS: u64 = 1200;

fn check(opt: OptLevel, bounds: BoundsChecks, first: u64, count: u64) -> usize {
    let opts = Options::new(opt, bounds);
    let start = std::time::Instant::now();
    let stats = run_on_big_stack(move || run_seeds(first, count, &opts, |_, _: &Outcome| {}));
    match stats {
        Ok(s) => {
            println!(
                "{opt:?}/{bounds:?}: seeds {first}..{}: {} modules agree ({} with SIMD, {} no module), {} calls, {} traps, {} instantiation traps, {:.1} s",
                first + count,
                s.modules,
                s.simd_modules,
                s.no_module,
                s.calls,
                s.traps,
                s.instantiation_traps,
                start.elapsed().as_secs_f64()
            );
            assert!(s.calls > s.modules, "too few calls to mean anything: {s:?}");
            assert!(s.traps < s.calls, "every call trapped: {s:?}");
            assert!(s.simd_modules * 10 >= s.modules, "too few modules use SIMD: {s:?}");
            s.modules
        }
        Err(m) => {
            let path = std::env::temp_dir().join(format!("hayabusa-differential-{}.wasm", m.seed));
            let written = std::fs::write(&path, &m.wasm).map_or_else(|e| format!("not written: {e}"), |_| format!("written to {}", path.display()));
            panic!("{m}\nmodule {written}; rerun: cargo xtask differential --seed {} --count 1", m.seed);
        }
    }
}

#[test]
fn wasm_smith_modules_agree_with_wasmi() {
    let modules = check(OptLevel::Speed, BoundsChecks::Guard, 0, SEEDS);
    assert!(modules >= 1000, "only {modules} of {SEEDS} seeds made a module");
}

#[test]
fn wasm_smith_modules_agree_with_wasmi_unoptimised_explicit_bounds() {
    // Fewer: the other code paths (no optimisation, bounds compared before each access).
    check(OptLevel::None, BoundsChecks::Explicit, 100_000, 200);
}

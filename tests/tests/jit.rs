//! The kernel compiles and runs Wasm itself: the `jit` command compiles the embedded sample
//! (`kernel/samples/jit-sample.wat`) with Cranelift inside the kernel, runs it, and every trap
//! ends only the call that raised it. Checked at both optimisation levels and in both
//! bounds-check modes (guard pages: an out-of-bounds load is a page fault; explicit checks: a
//! trap instruction).

use hayabusa_tests::{Outcome, SessionError, boot, line_starting};

/// The `jit: CALL ...` line for `call`, without its timing.
fn result<'a>(out: &'a str, call: &str) -> &'a str {
    let line = line_starting(out, &format!("jit: {call} ")).unwrap_or_else(|| panic!("no line for {call} in:\n{out}"));
    line.rsplit_once(" (").filter(|(_, t)| t.ends_with(" us)")).map_or(line, |(l, _)| l)
}

/// Values the sample must compute: Fibonacci, factorial, the Basel sum to 1e5, the number of
/// primes below 10^4, the byte sum of "Hayabusa", a sum of squares with SIMD.
fn check_results(out: &str) {
    assert_eq!(result(out, "checksum()"), "jit: checksum() = 814");
    assert_eq!(result(out, "fib(50)"), "jit: fib(50) = 12586269025");
    assert_eq!(result(out, "fac(20)"), "jit: fac(20) = 2432902008176640000");
    let basel: f64 = result(out, "basel(100000)").trim_start_matches("jit: basel(100000) = ").parse().expect("basel is a float");
    assert!((basel - (std::f64::consts::PI.powi(2) / 6.0 - 1e-5)).abs() < 1e-9, "basel = {basel}");
    assert_eq!(result(out, "primes(10000)"), "jit: primes(10000) = 1229");
    assert_eq!(result(out, "calls()"), "jit: calls() = 1");
    assert!(result(out, "unreachable()").starts_with("jit: unreachable() trapped: unreachable in unreachable at wasm offset "), "{out}");
    assert!(result(out, "divide_by_zero(0)").starts_with("jit: divide_by_zero(0) trapped: integer divide by zero in divide_by_zero at wasm offset "), "{out}");
    assert!(result(out, "deep(0)").starts_with("jit: deep(0) trapped: call stack exhausted in deep at wasm offset "), "{out}");
    // After four traps the instance still works.
    assert_eq!(result(out, "fib(10)"), "jit: fib(10) = 55");
    // SIMD (i32x4) in kernel mode: the sum of i*i for i < 1000.
    assert_eq!(result(out, "simd_squares(1000)"), "jit: simd_squares(1000) = 332833500");
}

fn oob_line(out: &str) -> &str {
    let line = result(out, "out_of_bounds()");
    assert!(line.starts_with("jit: out_of_bounds() trapped: out of bounds memory access in out_of_bounds at wasm offset "), "{out}");
    line
}

/// N in the `reservations: N holding ...` line of `mem`.
fn reservations(mem: &str) -> u64 {
    let line = line_starting(mem, "reservations: ").unwrap_or_else(|| panic!("no reservations line in:\n{mem}"));
    line["reservations: ".len()..].split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{line}"))
}

#[test]
fn jit_compiles_and_runs_in_the_kernel() -> Result<(), SessionError> {
    let mut vm = boot();
    vm.expect_prompt()?;
    // The boot tasks hold reservations of their own (stacks, memories): count from here.
    let before = reservations(&vm.command("mem")?);

    let speed = vm.command("jit")?;
    assert!(line_starting(&speed, "jit: compiled ").is_some_and(|l| l.contains("opt Speed")), "{speed}");
    check_results(&speed);
    // Guard-page mode: the load faults in the reservation's guard part (#PF, vector 14).
    assert!(oob_line(&speed).ends_with("(CPU vector 14)"), "{speed}");

    let explicit = vm.command("jit explicit")?;
    check_results(&explicit);
    // Explicit checks trap before touching memory, with a trap instruction (#UD, vector 6).
    assert!(oob_line(&explicit).ends_with("(CPU vector 6)"), "{explicit}");

    let unoptimised = vm.command("jit none")?;
    assert!(line_starting(&unoptimised, "jit: compiled ").is_some_and(|l| l.contains("opt None")), "{unoptimised}");
    check_results(&unoptimised);

    // Everything the runs reserved was given back.
    let mem = vm.command("mem")?;
    assert_eq!(reservations(&mem), before, "the jit runs left reservations behind:\n{mem}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

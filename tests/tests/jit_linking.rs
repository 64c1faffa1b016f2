//! The kernel runs Wasm that needs more than memory and globals, through the shared runtime
//! (`hayabusa-runtime`): functions the kernel provides as imports (`env.print_i32`, `env.mul`),
//! a table filled by an element segment, and `call_indirect` through it — to local functions,
//! to an imported host function, and the three ways an indirect call traps.

use hayabusa_tests::{Outcome, SessionError, boot, line_starting};

/// The `jit: CALL ...` line for `call`, without its timing.
fn result<'a>(out: &'a str, call: &str) -> &'a str {
    let line = line_starting(out, &format!("jit: {call} ")).unwrap_or_else(|| panic!("no line for {call} in:\n{out}"));
    line.rsplit_once(" (").filter(|(_, t)| t.ends_with(" us)")).map_or(line, |(l, _)| l)
}

#[test]
fn jit_sample_links_kernel_imports_and_calls_through_its_table() -> Result<(), SessionError> {
    let mut vm = boot();
    vm.expect_prompt()?;

    let out = vm.command("jit")?;
    // $ops[0..2]: add, sub, and the imported host function env.mul.
    assert_eq!(result(&out, "dispatch(0, 40, 2)"), "jit: dispatch(0, 40, 2) = 42");
    assert_eq!(result(&out, "dispatch(1, 40, 2)"), "jit: dispatch(1, 40, 2) = 38");
    assert_eq!(result(&out, "dispatch(2, 6, 7)"), "jit: dispatch(2, 6, 7) = 42");
    // $ops[3] has another type, $ops[4] is null, 5 is past the end: each traps (#UD, vector 6).
    let trap = |call: &str, message: &str| {
        let line = result(&out, call);
        assert!(line.starts_with(&format!("jit: {call} trapped: {message} in ")), "{out}");
        assert!(line.ends_with("(CPU vector 6)"), "{out}");
    };
    trap("dispatch(3, 6, 7)", "indirect call type mismatch");
    trap("dispatch(4, 6, 7)", "uninitialized element");
    trap("dispatch(5, 6, 7)", "undefined element");
    // Direct calls to both imports; the host function's output comes before the call's result.
    let printed = out.find("jit: env.print_i32(12)").expect("env.print_i32 was called with 12");
    let squared = out.find("jit: env.print_i32(144)").expect("env.print_i32 was called with 144");
    let returned = out.find("jit: print_square(12) = 144").expect("print_square returned 144");
    assert!(printed < squared && squared < returned, "{out}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

//! Programs that the workspace's cargo build does not make: modules added to the ramdisk the way
//! `--program` and `--manifest` add them (the fixtures in `tests/fixtures/`, which `cargo xtask
//! test` puts in every test image) run with `run NAME`; a malformed module is refused at `run`
//! with a compile error and harms nothing; the C example (`examples/hello-c`, built with clang) runs.

use hayabusa_tests::{Outcome, SessionError, boot, line_starting};

/// The `programs` row of `task`.
fn row<'a>(programs: &'a str, task: &str) -> &'a str {
    line_starting(programs, &format!("{task} ")).unwrap_or_else(|| panic!("no {task} in:\n{programs}"))
}

#[test]
fn programs_from_outside_the_tree() -> Result<(), SessionError> {
    let mut vm = boot();
    vm.expect_prompt()?;

    // Both fixtures are in the manifest: `outside` with the fragment's entry, `garbage` with the
    // default one (reach console, boot no); the kernel's own check finds garbage invalid.
    let programs = vm.command("programs")?;
    let outside: Vec<&str> = row(&programs, "outside").split_whitespace().collect();
    assert_eq!(outside[1..2], ["outside.wasm"], "{programs}");
    assert_eq!(outside[4..8], ["no", "auto", "console", "valid"], "{programs}");
    let garbage: Vec<&str> = row(&programs, "garbage").split_whitespace().collect();
    assert_eq!(garbage[1..3], ["garbage.wasm", "64"], "{programs}");
    assert_eq!(garbage[4..8], ["no", "auto", "console", "invalid:"], "{programs}");

    // A module built outside the tree prints through the console: the fragment's `args`, then
    // arguments typed at `run`.
    vm.send("run outside\n")?;
    vm.expect("outside: from the manifest fragment\n")?;
    let out = vm.expect("(outside) exited")?;
    assert!(!out.contains("exited with code") && !out.contains("trapped"), "{out}");

    // Random bytes: `run` reports the compile error, starts nothing, and the console still answers.
    let out = vm.command("run garbage")?;
    assert!(line_starting(&out, "error: run garbage: compile error: ").is_some(), "{out}");
    let echo = vm.command("echo hi")?;
    assert!(line_starting(&echo, "echo: hi").is_some(), "{echo}");
    let ps = vm.command("ps")?;
    assert!(!ps.contains("garbage"), "{ps}");
    vm.send("run outside typed at the console\n")?;
    vm.expect("outside: typed at the console\n")?;
    vm.expect("(outside) exited")?;

    // The C example, last: on a machine without clang xtask builds the image without it (and
    // says so), and only this check fails.
    let listed = line_starting(&programs, "hello-c ").is_some();
    assert!(
        listed,
        "hello-c is not in the ramdisk: xtask builds examples/hello-c only with clang and wasm-ld \
         (`apt-get install clang lld`; `cargo xtask test` installs them when run as root):\n{programs}"
    );
    assert!(row(&programs, "hello-c").ends_with(" valid"), "{programs}");
    vm.send("run hello-c\n")?;
    vm.expect("hello from C")?;
    let out = vm.expect("(hello-c) exited")?;
    assert!(!out.contains("exited with code"), "{out}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

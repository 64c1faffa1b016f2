//! The spec files CI runs in the kernel (`hayabusa_spectest::ci::CI_FILES`, packed into the test
//! image by `cargo xtask test`) pass there — every trap kind, memory growth, tables, calls and
//! stack exhaustion through the kernel's own memory, fault handlers and stack limit — and count
//! exactly what the host runner counts for the same files (passed, failed, skipped). Run a second
//! time, no file leaves anything behind: no heap bytes, frames or reservations.

use std::path::PathBuf;

use hayabusa_compiler::CompileOptions;
use hayabusa_compiler_host::spectest::{FileReport, Skips, run_file};
use hayabusa_compiler_host::{STACK_BUDGET, cpu};
use hayabusa_spectest::ci::CI_FILES;
use hayabusa_spectest::serial::parse_output;
use hayabusa_tests::{Outcome, SessionError, boot_for};

/// The host runner's report for each CI file (as `cargo xtask spectest --file ...` gives it).
fn host_reports() -> Vec<FileReport> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::var_os("HAYABUSA_SPECTEST_DIR").map_or_else(|| root.join("../shared/wasm-testsuite"), PathBuf::from);
    let skips = std::fs::read_to_string(root.join("kernel/compiler/spectest-skips.txt")).expect("reading the skip list");
    let skips = Skips::parse(&skips).expect("parsing the skip list");
    let opts = CompileOptions { cpu: cpu::host_features(), ..CompileOptions::default() };
    // As the host runner does: Wasm on a large stack, deep recursion trapping well before its end.
    STACK_BUDGET.store(64 << 20, std::sync::atomic::Ordering::Relaxed);
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(move || {
        CI_FILES
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("reading {name} in {}: {e}", dir.display()));
                run_file(name, &text, &skips, opts)
            })
            .collect()
    });
    worker.expect("spawning the host runner").join().expect("the host runner panicked")
}

#[test]
fn spec_files_pass_in_the_kernel_as_on_the_host() -> Result<(), SessionError> {
    let mut vm = boot_for(300);
    vm.expect_prompt()?;
    let out = vm.command("spectest")?;
    let kernel = parse_output(&out);
    let host = host_reports();
    let mut passed = 0;
    for (name, host) in CI_FILES.iter().zip(&host) {
        let Some(k) = kernel.iter().find(|f| f.name == *name) else {
            panic!("the kernel reported nothing for {name} (was the suite at ../shared/wasm-testsuite when the image was built?):\n{out}")
        };
        let r = &k.report;
        assert!(r.failed == 0, "{name} failed in the kernel:\n{}", r.failures.join("\n"));
        assert!(r.passed > 0, "{name}: nothing passed in the kernel");
        assert_eq!((r.passed, r.failed, r.skipped), (host.passed, host.failed, host.skipped), "{name}: kernel and host count differently");
        assert_eq!(r.skipped_by, host.skipped_by, "{name}: skipped for other features");
        passed += r.passed;
    }
    assert_eq!(kernel.len(), CI_FILES.len(), "the kernel ran other files than CI_FILES:\n{out}");
    eprintln!("spectest in the kernel: {} files, {passed} assertions passed", kernel.len());

    // The first run grew what stays grown (the code registry's vector, page tables): now every
    // file must give back all it takes.
    let again = parse_output(&vm.command("spectest")?);
    assert_eq!(again.len(), CI_FILES.len());
    for f in &again {
        assert_eq!(f.report.failed, 0, "{}, run again, failed:\n{}", f.name, f.report.failures.join("\n"));
    }
    let leaks: Vec<String> = again.iter().filter(|f| f.left != Default::default()).map(|f| format!("{}: {:?}", f.name, f.left)).collect();
    assert!(leaks.is_empty(), "run again, files left memory behind:\n{}", leaks.join("\n"));

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

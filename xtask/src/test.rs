//! `cargo xtask test`: host unit tests, then boot tests against a `test-hooks` kernel in QEMU,
//! whose ramdisk also carries the fixtures of `tests/fixtures/` (added as `--program` adds them),
//! and the hosted runner on the same program files (for the tests that compare the two). The
//! image's ramdisk also carries the spec scripts CI runs in the kernel (`spectest_kernel.rs`).

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::options::Options;
use crate::{Failure, build, cargo, clang, host, programs, spectest_kernel};

/// Default time limit for each boot of the boot tests.
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

/// Programs from outside the tree in every test image, as if given with `--program` and
/// `--manifest` (`tests/tests/programs.rs` runs them): a module in WAT, one of random bytes, and
/// a manifest fragment that replaces the first one's default entry.
const FIXTURE_PROGRAMS: [&str; 2] = ["tests/fixtures/outside.wat", "tests/fixtures/garbage.wasm"];
const FIXTURE_MANIFEST: &str = "tests/fixtures/outside.manifest";

/// Tests counted from libtest's `test result:` lines.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Counts {
    passed: u32,
    failed: u32,
    ignored: u32,
}

/// One step of the run and how it went.
struct Step {
    name: &'static str,
    counts: Counts,
    ok: bool,
    seconds: f64,
    /// Names of the tests that failed (`test NAME ... FAILED`).
    failures: Vec<String>,
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let mut options = Options::parse(args, &["--accel", "--timeout", "--"])?;
    let root = programs::root();
    options.programs.extend(FIXTURE_PROGRAMS.iter().map(|path| root.join(path)));
    options.manifests.push(root.join(FIXTURE_MANIFEST));
    let mut steps = Vec::new();
    // Before the host tests: wasm-abi's C header tests need clang too.
    clang::available();

    let mut host = cargo::command();
    host.args(["test", "--no-fail-fast", "--workspace", "--exclude", "hayabusa-kernel", "--exclude", "hayabusa-tests"]);
    steps.push(run_tests("host unit tests (workspace)", host, &options));
    let mut kernel_lib = cargo::command();
    kernel_lib.args(["test", "--no-fail-fast", "-p", "hayabusa-kernel", "--lib"]);
    steps.push(run_tests("host unit tests (kernel lib)", kernel_lib, &options));

    let started = Instant::now();
    let mut skipped = Vec::new();
    // The spec files CI runs in the kernel (tests/tests/spectest.rs), lowered into the ramdisk.
    let boot = spectest_kernel::ci_scripts().and_then(|scripts| build::build_with(&options, build::Variant::Test, &scripts)).and_then(|built| {
        skipped = built.skipped;
        // The hosted runner, on the same program files, for the tests that compare the two.
        let (runner, ramdisk) = host::prepare(&options, "host-test", false)?;
        let tools = hayabusa_boot::ensure_tools()?;
        let accel = options.accel.resolve(&tools, &built.work_dir)?;
        let timeout = options.timeout.unwrap_or(BOOT_TIMEOUT);
        eprintln!("xtask: boot tests under {}, {} s per boot", accel.qemu_name(), timeout.as_secs());
        let mut command = cargo::command();
        // Every boot test binary runs, whichever fails first.
        command
            .args(["test", "--no-fail-fast", "-p", "hayabusa-tests"])
            .env("HAYABUSA_TEST_IMAGE", &built.image)
            .env("HAYABUSA_ACCEL", accel.qemu_name())
            .env("HAYABUSA_TIMEOUT", timeout.as_secs().to_string())
            .env("HAYABUSA_WORK_DIR", &built.work_dir)
            .env("HAYABUSA_HOST_RUNNER", runner)
            .env("HAYABUSA_HOST_RAMDISK", ramdisk)
            .env("HAYABUSA_SPECTEST_DIR", crate::spectest::suite_dir());
        Ok(command)
    });
    match boot {
        Ok(command) => steps.push(run_tests("boot tests (QEMU)", command, &options)),
        Err(Failure::Error(message)) => {
            eprintln!("xtask: error: {message}");
            let seconds = started.elapsed().as_secs_f64();
            steps.push(Step { name: "boot tests (QEMU)", counts: Counts::default(), ok: false, seconds, failures: Vec::new() });
        }
        Err(usage) => return Err(usage),
    }
    for module in skipped {
        eprintln!("xtask: NOTE: the test image was built without {module} (see above); its tests fail");
    }
    Ok(summarize(&steps))
}

/// Runs one `cargo test` (with `--` and the passthrough args for the boot tests), echoing its
/// output and counting results. A run that counts zero tests is a failure.
fn run_tests(name: &'static str, mut command: Command, options: &Options) -> Step {
    if name.starts_with("boot") && !options.passthrough.is_empty() {
        command.arg("--").args(&options.passthrough);
    }
    eprintln!("\nxtask: ==> {name}");
    let started = Instant::now();
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let ok = match command.stdout(Stdio::piped()).spawn() {
        Ok(mut child) => {
            if let Some(stdout) = child.stdout.take() {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    println!("{line}");
                    if let Some(found) = parse_result_line(&line) {
                        counts.passed += found.passed;
                        counts.failed += found.failed;
                        counts.ignored += found.ignored;
                    }
                    if let Some(test) = parse_failed_line(&line) {
                        failures.push(test.to_string());
                    }
                }
            }
            child.wait().is_ok_and(|status| status.success())
        }
        Err(e) => {
            eprintln!("xtask: cannot start cargo: {e}");
            false
        }
    };
    Step { name, counts, ok, seconds: started.elapsed().as_secs_f64(), failures }
}

/// The test name of libtest's `test NAME ... FAILED` line.
fn parse_failed_line(line: &str) -> Option<&str> {
    line.strip_prefix("test ")?.strip_suffix(" ... FAILED")
}

/// Parses `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`.
fn parse_result_line(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let mut counts = Counts::default();
    for part in rest.split([';', '.']) {
        let mut words = part.split_whitespace();
        let (Some(number), Some(what)) = (words.next(), words.next()) else { continue };
        let Ok(number) = number.parse::<u32>() else { continue };
        match what {
            "passed" => counts.passed = number,
            "failed" => counts.failed = number,
            "ignored" => counts.ignored = number,
            _ => {}
        }
    }
    Some(counts)
}

/// Prints the table of steps; success only if every step passed and tests actually ran.
fn summarize(steps: &[Step]) -> ExitCode {
    eprintln!("\nxtask: ==> summary");
    let mut all_ok = true;
    let mut total = Counts::default();
    for step in steps {
        let ran = step.counts.passed + step.counts.failed;
        // Boot tests must run; host steps may legitimately be empty only if others ran.
        let zero = ran == 0 && step.name.starts_with("boot");
        let ok = step.ok && step.counts.failed == 0 && !zero;
        all_ok &= ok;
        total.passed += step.counts.passed;
        total.failed += step.counts.failed;
        total.ignored += step.counts.ignored;
        let verdict = if ok { "ok" } else if zero && step.ok { "FAILED (no tests ran)" } else { "FAILED" };
        eprintln!(
            "  {:<30} {:>4} passed {:>3} failed {:>3} ignored {:>7.1} s  {verdict}",
            step.name, step.counts.passed, step.counts.failed, step.counts.ignored, step.seconds
        );
        for test in &step.failures {
            eprintln!("      failed: {test}");
        }
    }
    if total.passed + total.failed == 0 {
        all_ok = false;
    }
    eprintln!(
        "xtask: {}: {} passed, {} failed, {} ignored",
        if all_ok { "all tests passed" } else { "TESTS FAILED" },
        total.passed,
        total.failed,
        total.ignored
    );
    if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_summary() {
        let line = "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(parse_result_line(line), Some(Counts { passed: 3, failed: 2, ignored: 1 }));
        assert_eq!(parse_result_line("running 3 tests"), None);
    }

    #[test]
    fn parses_a_failed_test() {
        assert_eq!(parse_failed_line("test tasks_and_ipc ... FAILED"), Some("tasks_and_ipc"));
        assert_eq!(parse_failed_line("test tasks_and_ipc ... ok"), None);
        assert_eq!(parse_failed_line("test result: FAILED. 0 passed; 1 failed"), None);
    }
}

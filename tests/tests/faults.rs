//! Deliberate kernel faults (`test-hooks` console commands): each prints its report and makes the
//! kernel report failure — not a hang, not a triple fault. One boot per fault.

#![forbid(unsafe_code)]

use hayabusa_tests::{Outcome, SessionError, boot};

/// How every CPU exception report starts: `!!! CPU exception: <name> (#XX, vector N)`.
const EXCEPTION: &str = "!!! CPU exception: ";

/// Boots, types `fault <kind>`, waits for a report line starting with `start` and containing
/// `contains`, and for the failure exit. Returns the report (from its first line on).
fn fault(kind: &str, start: &str, contains: &str) -> Result<String, SessionError> {
    fault_with_preamble(kind, start, contains).map(|(_, report)| report)
}

/// Like [`fault`], also returning what the kernel printed between the command and the report.
fn fault_with_preamble(kind: &str, start: &str, contains: &str) -> Result<(String, String), SessionError> {
    let mut vm = boot();
    vm.expect_prompt()?;
    vm.send(&format!("fault {kind}\n"))?;
    let preamble = vm.expect(start)?;
    let first_line = vm.expect("\n")?;
    vm.expect_exit(Outcome::KernelFailure)?;
    let transcript = vm.transcript().replace('\r', "");
    let report = &transcript[transcript.rfind(start).unwrap_or(0)..];
    assert!(first_line.contains(contains), "report's first line lacks {contains:?}:\n{report}");
    Ok((preamble, report.to_string()))
}

/// Checks the register lines; `error code:` only for exceptions where the CPU pushes one.
fn assert_registers(report: &str, with_error_code: bool) {
    let mut needed = vec!["RIP:", "RSP:"];
    if with_error_code {
        needed.push("error code:");
    }
    for field in needed {
        assert!(report.lines().any(|l| l.trim_start().starts_with(field)), "no {field:?} line in report:\n{report}");
    }
}

#[test]
fn page_fault() -> Result<(), SessionError> {
    let report = fault("pf", EXCEPTION, "(#PF, vector 14)")?;
    assert_registers(&report, true);
    // The hook writes to 0xdea_dbee_f000: canonical and never mapped (0xdead_beef_0000 would be
    // non-canonical and raise #GP instead).
    assert!(report.contains("CR2: 0xdeadbeef000\n"), "{report}");
    Ok(())
}

#[test]
fn breakpoint() -> Result<(), SessionError> {
    assert_registers(&fault("bp", EXCEPTION, "(#BP, vector 3)")?, false);
    Ok(())
}

#[test]
fn divide_error() -> Result<(), SessionError> {
    assert_registers(&fault("de", EXCEPTION, "(#DE, vector 0)")?, false);
    Ok(())
}

#[test]
fn double_fault_on_stack_overflow() -> Result<(), SessionError> {
    assert_registers(&fault("df", EXCEPTION, "(#DF, vector 8)")?, true);
    Ok(())
}

#[test]
fn panic() -> Result<(), SessionError> {
    let report = fault("panic", "!!! kernel panic at ", ": test panic")?;
    let first = report.lines().next().unwrap_or_default();
    assert!(first.ends_with(": test panic"), "{report}");
    Ok(())
}

#[test]
fn invalid_opcode() -> Result<(), SessionError> {
    assert_registers(&fault("ud", EXCEPTION, "(#UD, vector 6)")?, false);
    Ok(())
}

/// A touch past a reservation's accessible part is not mapped lazily: it is a real page fault.
#[test]
fn reservation_guard_page() -> Result<(), SessionError> {
    let (preamble, report) = fault_with_preamble("guard", EXCEPTION, "(#PF, vector 14)")?;
    let addr = preamble
        .lines()
        .find_map(|l| l.trim().strip_prefix("touching guard page at "))
        .unwrap_or_else(|| panic!("no guard address announced before the report:\n{preamble}"));
    assert_registers(&report, true);
    assert!(report.contains(&format!("CR2: {addr}\n")), "CR2 is not the guard address {addr}:\n{report}");
    Ok(())
}

/// A write to a page made read-only with `mm::protect` faults with a protection violation.
#[test]
fn write_to_read_only_page() -> Result<(), SessionError> {
    let report = fault("ro", EXCEPTION, "(#PF, vector 14)")?;
    assert!(report.contains("PROTECTION_VIOLATION | CAUSED_BY_WRITE"), "{report}");
    Ok(())
}

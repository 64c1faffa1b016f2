//! Runs one `.wast` script on Linux: lowered (`lower.rs`), through its binary form as the
//! kernel gets it, then run by the shared executor.

use super::lower::lower_file;
use super::skips::Skips;
use crate::Linux;
use hayabusa_compiler::CompileOptions;
use hayabusa_spectest::{FileReport, codec, run_script};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs every directive of `text` (the contents of `file`). What the skip list names still runs:
/// see `hayabusa_spectest::exec` for an entry of one directive; a file's entry lets its modules
/// need that feature, and is stale when nothing in the file is skipped for it.
pub fn run_file(file: &str, text: &str, skips: &Skips, opts: CompileOptions) -> FileReport {
    // The script the kernel would run: encoded and decoded, so both runners run the same bytes.
    let script = match codec::decode(&codec::encode(&lower_file(file, text, skips))) {
        Ok(s) => s,
        Err(e) => {
            let mut report = FileReport { failed: 1, ..FileReport::default() };
            report.failures.push(format!("{file}: {e}"));
            return report;
        }
    };
    match catch_unwind(AssertUnwindSafe(|| run_script::<Linux>(&script, &opts))) {
        Ok(report) => report,
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            let mut report = FileReport { failed: 1, ..FileReport::default() };
            report.failures.push(format!("{file}: panic: {}", msg.unwrap_or_default()));
            report
        }
    }
}

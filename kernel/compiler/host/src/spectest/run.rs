//! Runs one `.wast` script: every directive becomes a pass, a failure or a listed skip.

use super::runner::{Outcome, Runner};
use super::skips::Skips;
use hayabusa_compiler::CompileOptions;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use wast::Wast;
use wast::parser::{self, ParseBuffer};

/// Assertion counts of one file, with a line per failure.
#[derive(Default, Debug)]
pub struct FileReport {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub failures: Vec<String>,
    /// Skipped assertions per feature named in the skip list.
    pub skipped_by: BTreeMap<String, usize>,
    /// Each skipped directive, `FILE:LINE: FEATURE`.
    pub skips: Vec<String>,
    /// Skip-list entries that skip nothing (also counted in `failed` and `failures`).
    pub stale: Vec<String>,
}

/// Runs every directive of `text` (the contents of `file`). What the skip list names still runs:
/// see `Runner::directive` for an entry of one directive; a file's entry lets its modules need
/// that feature, and is stale when nothing in the file is skipped for it.
pub fn run_file(file: &str, text: &str, skips: &Skips, opts: CompileOptions) -> FileReport {
    let mut report = FileReport::default();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => return parse_failure(file, skips, e),
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(w) => w,
        Err(e) => return parse_failure(file, skips, e),
    };
    let mut r = Runner::new(file, skips, opts);
    for d in wast.directives {
        let line = d.span().linecol_in(text).0 + 1;
        let outcome = match catch_unwind(AssertUnwindSafe(|| r.directive(d, line))) {
            Ok(o) => o,
            Err(p) => {
                let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                Outcome::Fail(format!("panic: {}", msg.unwrap_or_default()))
            }
        };
        match outcome {
            Outcome::Pass => report.passed += 1,
            Outcome::Skip(feature) => {
                report.skipped += 1;
                report.skips.push(format!("{file}:{line}: {feature}"));
                *report.skipped_by.entry(feature).or_default() += 1;
            }
            Outcome::Fail(why) => {
                report.failed += 1;
                report.failures.push(format!("{file}:{line}: {why}"));
            }
            Outcome::Stale(why) => {
                report.failed += 1;
                report.failures.push(format!("{file}:{line}: {why}"));
                report.stale.push(format!("{file}:{line}"));
            }
        }
    }
    if let Some(feature) = skips.file(file)
        && report.skipped_by.get(feature).copied().unwrap_or(0) == 0
    {
        report.failed += 1;
        report.failures.push(format!("{file}: stale skip: listed for {feature}, but nothing in it is skipped for it"));
        report.stale.push(file.to_string());
    }
    report
}

fn parse_failure(file: &str, skips: &Skips, e: wast::Error) -> FileReport {
    let mut report = FileReport::default();
    if let Some(feature) = skips.file(file) {
        report.skipped = 1;
        report.skipped_by.insert(feature.to_string(), 1);
    } else {
        report.failed = 1;
        report.failures.push(format!("{file}: cannot parse script: {e}"));
    }
    report
}

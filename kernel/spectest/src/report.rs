//! What running a script gives: an outcome per directive, summed into a [`FileReport`], and the
//! report's text form, which the kernel prints over serial and xtask reads back.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// How one directive went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    /// Skipped for this feature.
    Skip(String),
    /// A skip-list entry whose directive needs nothing unsupported any more: a failure.
    Stale(String),
}

/// Assertion counts of one file, with a line per failure.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct FileReport {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// `FILE:LINE: why` per failure.
    pub failures: Vec<String>,
    /// Skipped assertions per feature named in the skip list.
    pub skipped_by: BTreeMap<String, usize>,
    /// Each skipped directive, `FILE:LINE: FEATURE`.
    pub skips: Vec<String>,
    /// Skip-list entries that skip nothing (also counted in `failed` and `failures`).
    pub stale: Vec<String>,
}

impl FileReport {
    /// Counts the outcome of the directive at `file:line`.
    pub fn add(&mut self, file: &str, line: u32, outcome: Outcome) {
        match outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Skip(feature) => {
                self.skipped += 1;
                self.skips.push(format!("{file}:{line}: {feature}"));
                *self.skipped_by.entry(feature).or_default() += 1;
            }
            Outcome::Fail(why) => {
                self.failed += 1;
                self.failures.push(format!("{file}:{line}: {why}"));
            }
            Outcome::Stale(why) => {
                self.failed += 1;
                self.failures.push(format!("{file}:{line}: {why}"));
                self.stale.push(format!("{file}:{line}"));
            }
        }
    }

    /// Adds `other`'s counts and lists to this one.
    pub fn merge(&mut self, other: FileReport) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.failures.extend(other.failures);
        for (feature, n) in other.skipped_by {
            *self.skipped_by.entry(feature).or_default() += n;
        }
        self.skips.extend(other.skips);
        self.stale.extend(other.stale);
    }

    /// The report as text lines, each starting with `PREFIX` and a keyword:
    /// `counts P F S`, then `fail TEXT`, `skip TEXT`, `skipped-by FEATURE N`, `stale WHERE`.
    /// Failure texts are cut to one line.
    pub fn to_lines(&self) -> Vec<String> {
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        let mut out = Vec::new();
        out.push(format!("{PREFIX}counts {} {} {}", self.passed, self.failed, self.skipped));
        out.extend(self.failures.iter().map(|f| format!("{PREFIX}fail {}", one_line(f))));
        out.extend(self.skips.iter().map(|s| format!("{PREFIX}skip {}", one_line(s))));
        out.extend(self.skipped_by.iter().map(|(f, n)| format!("{PREFIX}skipped-by {f} {n}")));
        out.extend(self.stale.iter().map(|s| format!("{PREFIX}stale {s}")));
        out
    }

    /// Reads back what [`FileReport::to_lines`] wrote (other lines are ignored); `None` without a
    /// `counts` line.
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<FileReport> {
        let mut r = FileReport::default();
        let mut counted = false;
        for line in lines {
            let Some(rest) = line.trim_end().strip_prefix(PREFIX) else { continue };
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            match key {
                "counts" => {
                    let n: Vec<usize> = value.split(' ').filter_map(|n| n.parse().ok()).collect();
                    let [p, f, s] = n[..] else { return None };
                    (r.passed, r.failed, r.skipped) = (p, f, s);
                    counted = true;
                }
                "fail" => r.failures.push(value.to_string()),
                "skip" => r.skips.push(value.to_string()),
                "skipped-by" => {
                    let (f, n) = value.rsplit_once(' ')?;
                    r.skipped_by.insert(f.to_string(), n.parse().ok()?);
                }
                "stale" => r.stale.push(value.to_string()),
                _ => {}
            }
        }
        counted.then_some(r)
    }
}

/// What every line of [`FileReport::to_lines`] starts with.
pub const PREFIX: &str = "  | ";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let mut r = FileReport::default();
        r.add("a.wast", 3, Outcome::Pass);
        r.add("a.wast", 4, Outcome::Fail("expected 1,\ngot 2".into()));
        r.add("a.wast", 5, Outcome::Skip("gc".into()));
        r.add("a.wast", 6, Outcome::Stale("stale skip".into()));
        let lines = r.to_lines();
        let back = FileReport::from_lines(lines.iter().map(String::as_str)).unwrap();
        assert_eq!((back.passed, back.failed, back.skipped), (1, 2, 1));
        assert_eq!(back.failures[0], "a.wast:4: expected 1, got 2");
        assert_eq!(back.skipped_by.get("gc"), Some(&1));
        assert_eq!(back.stale, ["a.wast:6"]);
        assert_eq!(back.skips, r.skips);
    }
}

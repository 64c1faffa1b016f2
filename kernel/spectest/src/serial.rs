//! How the kernel's `spectest` command reports over serial, and reading it back (xtask and the
//! boot test): per file a start line, the report's lines ([`FileReport::to_lines`]), and a done
//! line with the time taken and what the run left allocated. A file that leaves a reservation
//! behind (a linear memory, a stack) fails; heap bytes and frames are reported only, since a
//! first run may leave caches and page tables grown (the boot test checks a second run leaves
//! nothing).

use crate::report::FileReport;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

const START: &str = "spectest: file ";
const DONE: &str = "spectest: done ";

/// What a file's run left allocated, as differences from before it: heap bytes in use, frames
/// outside the heap, reservations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leftover {
    pub heap: i64,
    pub frames: i64,
    pub reservations: i64,
}

/// The line before file `name`'s report.
pub fn start_line(name: &str) -> String {
    format!("{START}{name}")
}

/// The line after file `name`'s report.
pub fn done_line(name: &str, millis: u64, left: Leftover) -> String {
    format!(
        "{DONE}{name} in {millis} ms; left behind: heap {:+} bytes, frames {:+}, reservations {:+}",
        left.heap, left.frames, left.reservations
    )
}

/// One file's result as the kernel reported it.
#[derive(Clone, Debug)]
pub struct KernelFile {
    pub name: String,
    pub report: FileReport,
    pub millis: u64,
    pub left: Leftover,
}

fn number_after(text: &str, key: &str) -> Option<i64> {
    let (_, rest) = text.split_once(key)?;
    rest.split([' ', ',', ';']).next()?.parse().ok()
}

/// The files reported in `output` (serial text; other lines are ignored), in order. A file
/// whose report has no counts, or whose run left reservations behind, gets a failure.
pub fn parse_output(output: &str) -> Vec<KernelFile> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in output.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(name) = line.strip_prefix(START) {
            current = Some((name.to_string(), Vec::new()));
        } else if let Some(rest) = line.strip_prefix(DONE) {
            let Some((name, lines)) = current.take() else { continue };
            let mut report = FileReport::from_lines(lines).unwrap_or_else(|| {
                let mut r = FileReport { failed: 1, ..FileReport::default() };
                r.failures.push(format!("{name}: the kernel's report has no counts"));
                r
            });
            let left = Leftover {
                heap: number_after(rest, "heap ").unwrap_or(0),
                frames: number_after(rest, "frames ").unwrap_or(i64::MAX),
                reservations: number_after(rest, "reservations ").unwrap_or(i64::MAX),
            };
            if left.reservations != 0 {
                report.failed += 1;
                report.failures.push(format!("{name}: its run left memory behind ({rest})"));
            }
            let millis = number_after(rest, " in ").unwrap_or(0) as u64;
            out.push(KernelFile { name, report, millis, left });
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;

    #[test]
    fn reads_reports_back() {
        let mut a = FileReport::default();
        a.add("a.wast", 1, Outcome::Pass);
        a.add("a.wast", 2, Outcome::Fail("no".into()));
        let mut text = String::from("noise\r\n");
        for line in [start_line("a.wast")].into_iter().chain(a.to_lines()).chain([done_line("a.wast", 5, Leftover::default())]) {
            text += &line;
            text += "\r\n";
        }
        text += &start_line("b.wast");
        text += "\n  | counts 1 0 0\n";
        text += &done_line("b.wast", 7, Leftover { heap: 8, frames: 2, reservations: 1 });
        text += "\n";
        text += &start_line("c.wast");
        text += "\n  | counts 1 0 0\n";
        text += &done_line("c.wast", 7, Leftover { heap: 8, frames: 2, reservations: 0 });
        let r = parse_output(&text);
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].report.passed, r[0].report.failed, r[0].millis), (1, 1, 5));
        assert_eq!(r[0].report.failures, ["a.wast:2: no"]);
        assert_eq!(r[1].left, Leftover { heap: 8, frames: 2, reservations: 1 });
        assert_eq!(r[1].report.failed, 1, "a reservation left behind is a failure");
        assert_eq!(r[2].report.failed, 0, "heap and frames are only reported");
    }
}

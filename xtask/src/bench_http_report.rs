//! The report of `cargo xtask bench http`: the machine line, the markdown table of both systems
//! and their ratio, and its section of docs/benchmarks.md (replaced in place, or appended).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::bench_http::Case;
use crate::bench_load::{Run, Stats};

/// The heading of the section `--docs` writes.
pub const HEADING: &str = "## Web server (`cargo xtask bench http`)";

/// What the figures were measured on.
pub struct Machine {
    /// "AMD EPYC, 2 logical CPUs, under a hypervisor".
    pub host: String,
    /// The first line of `qemu --version`.
    pub qemu: String,
    /// "TCG" or "KVM".
    pub accel: &'static str,
    /// `git rev-parse --short HEAD`.
    pub commit: String,
}

impl Machine {
    pub fn describe(&self) -> String {
        format!(
            "host: {}; {}, accelerator {}; release kernel; commit {}",
            self.host, self.qemu, self.accel, self.commit
        )
    }

    /// The kernel's column: "QEMU TCG".
    pub fn accel_column(&self) -> &'static str {
        if self.accel == "KVM" { "QEMU KVM" } else { "QEMU TCG" }
    }
}

/// The table: a row per case, the kernel's figures (`kernel`) and the native ones (`native`).
pub fn table(machine: &Machine, cases: &[Case], kernel: &[Run], native: &[Run]) -> String {
    let vm = machine.accel_column();
    let mut text = format!(
        "| request | connections | requests | {vm} | native | native ÷ {} | {vm} latency p50 / p99 / mean | native latency p50 / p99 / mean |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
        machine.accel
    );
    for ((case, kernel), native) in cases.iter().zip(kernel).zip(native) {
        let (k, n) = (throughput(case, kernel), throughput(case, native));
        let ratio = match (k, n) {
            (Some(k), Some(n)) if k > 0.0 => format!("{:.1}×", n / k),
            _ => "—".into(),
        };
        let unit = if case.download { "MB/s" } else { "req/s" };
        let figure = |x: Option<f64>| x.map_or("—".into(), |x| format!("{} {unit}", round(x)));
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {ratio} | {} | {} |",
            case.what,
            case.connections,
            case.requests,
            figure(k),
            figure(n),
            latency(kernel),
            latency(native)
        );
    }
    text
}

/// Requests per second, or for a download MB/s (10⁶ bytes) of the median download.
fn throughput(case: &Case, run: &Run) -> Option<f64> {
    if !run.errors.is_empty() {
        return None;
    }
    if case.download {
        let per_answer = run.bytes as f64 / run.latencies.len() as f64;
        Some(per_answer / Stats::of(&run.latencies)?.p50.as_secs_f64() / 1e6)
    } else {
        Some(run.per_second())
    }
}

/// "1.23 / 4.56 / 1.50 ms".
fn latency(run: &Run) -> String {
    Stats::of(&run.latencies).map_or("—".into(), |s| format!("{} / {} / {} ms", ms(s.p50), ms(s.p99), ms(s.mean)))
}

/// Milliseconds to three significant digits (at least the unit).
fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    match ms {
        100.0.. => format!("{ms:.0}"),
        10.0.. => format!("{ms:.1}"),
        1.0.. => format!("{ms:.2}"),
        _ => format!("{ms:.3}"),
    }
}

/// Three significant digits, at least the unit.
fn round(x: f64) -> String {
    match x {
        100.0.. => format!("{x:.0}"),
        10.0.. => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// The docs section: what was measured and how, the machine, the date, the table.
pub fn section(machine: &Machine, command: &str, table: &str, downloads: usize) -> String {
    let (vm, accel) = (machine.accel_column(), machine.accel);
    let how = format!(
        "Measured with `{command} --docs`, which builds the release kernel and the hosted runner \
         (release), then measures the web server (`servers/http`, http.wasm) from the host with a real \
         HTTP client (`ureq`, one keep-alive agent per client thread: xtask/src/bench_load.rs) on two \
         systems in turn. **{vm}**: the release kernel under QEMU {accel} (`-smp 1`) with a virtio-net \
         NIC on QEMU's user network: http.wasm over the Wasm tcpip (smoltcp) over the Wasm virtio-net \
         driver, reached through QEMU's port forward on 127.0.0.1. **native**: the hosted runner on \
         Linux, the same http.wasm over the runner's native tcpip on host sockets. Each page is fetched \
         the given number of times over that many concurrent keep-alive connections; each connection \
         makes one untimed request first, so connecting is not timed. Latency runs from sending a \
         request to having read its whole body; requests/s counts answers over the wall time of the \
         run. Every answer must be status 200 with the right body (static files byte-exact, dynamic \
         pages as long as their `Content-Length` says); one failure fails the command. `/big.bin` \
         (1 MiB + 12,345 bytes) is downloaded {downloads} times on one connection: MB/s (10⁶ bytes) \
         of the median download. The client threads run on the same cores as the server (and as \
         QEMU), so the figures are the whole system's on this machine, not the server's alone. They \
         come from one run: on shared cores, runs minutes apart can differ severalfold (the native \
         one-connection rows most), so rerun before comparing."
    );
    let machine = format!(
        "Machine: {}, {}, accelerator **{accel}**, release kernel at commit {}, {}.",
        machine.host,
        machine.qemu,
        machine.commit,
        today()
    );
    format!("{HEADING}\n\n{}\n\n{}\n\n{table}", wrap(&how, WIDTH), wrap(&machine, WIDTH))
}

/// The line width of docs/ prose.
const WIDTH: usize = 100;

/// `text` (one paragraph) broken into lines of at most `width` characters between words.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

/// `doc` with the section that starts with `section`'s heading line replaced by `section` (up to
/// the next `## ` heading), or with `section` appended if it has none.
pub fn replace_section(doc: &str, section: &str) -> String {
    let heading = section.lines().next().unwrap_or_default();
    let section = format!("{}\n", section.trim_end());
    let mut offset = 0;
    let mut start = None;
    for line in doc.split_inclusive('\n') {
        let bare = line.trim_end();
        match start {
            None if bare == heading => start = Some(offset),
            Some(start) if bare.starts_with("## ") => return format!("{}{section}\n{}", &doc[..start], &doc[offset..]),
            _ => {}
        }
        offset += line.len();
    }
    match start {
        Some(start) => format!("{}{section}", &doc[..start]),
        None => format!("{}\n{section}", if doc.ends_with('\n') || doc.is_empty() { doc.to_string() } else { format!("{doc}\n") }),
    }
}

/// Today's date (UTC), YYYY-MM-DD.
fn today() -> String {
    let secs = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_423), (2025, 12, 1));
        assert_eq!(civil(20_788), (2026, 12, 1));
        assert_eq!(civil(-1), (1969, 12, 31));
    }

    #[test]
    fn paragraphs_wrap_between_words() {
        assert_eq!(wrap("aa bb  cc\ndd eeeeeeee f", 5), "aa bb\ncc dd\neeeeeeee\nf");
        assert_eq!(wrap("", 5), "");
    }

    #[test]
    fn the_section_is_replaced_or_appended() {
        let new = format!("{HEADING}\n\nnew text\n");
        let doc = format!("# B\n\n## A\n\na\n\n{HEADING}\n\nold\n\n### sub\n\nold too\n\n## C\n\nc\n");
        assert_eq!(replace_section(&doc, &new), format!("# B\n\n## A\n\na\n\n{HEADING}\n\nnew text\n\n## C\n\nc\n"));
        let last = format!("# B\n\n{HEADING}\n\nold\n");
        assert_eq!(replace_section(&last, &new), format!("# B\n\n{HEADING}\n\nnew text\n"));
        assert_eq!(replace_section("# B\n\n## A\n\na\n", &new), format!("# B\n\n## A\n\na\n\n{HEADING}\n\nnew text\n"));
        assert_eq!(replace_section("# B", &new), format!("# B\n\n{HEADING}\n\nnew text\n"));
    }
}

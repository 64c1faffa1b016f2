//! `cargo xtask bench ipc [N]`: boots the kernel headless (release build unless `--debug`), runs
//! the console command `bench ipc N` and prints its report with what it was measured on: the
//! accelerator QEMU really ran under, the host CPU and the QEMU version. The kernel does the
//! measuring (kernel/src/console/bench.rs); this only drives the console and checks the report.
//! With `--host` it runs the native baselines instead (`bench_host.rs`).

use std::process::{Command, ExitCode};
use std::time::Duration;

use hayabusa_boot::{Accel, Outcome, Session, VmConfig};

use crate::options::Options;
use crate::{Failure, build};

const HELP: &str = "\
usage: cargo xtask bench ipc [N] [--debug] [--steps] [--accel auto|tcg|kvm] [--timeout SECS] [--markdown]
       cargo xtask bench ipc --host [N] [--runs R] [--docs]
       cargo xtask bench ipc --host --instructions
    N           round trips per payload size and path (default 1000; the kernel takes 1..=1000000)
    --host      native, on this machine's CPU (no QEMU), pinned to one CPU and then across two:
                Hayabusa's direct and switch paths from the hosted runner (hosted/), Linux IPC
                baselines (pipes, a socket pair, futex, eventfd) and Hayabusa's bare plain-call and
                handler floors from kernel/compiler/host/examples/ipc_native.rs; a markdown table
                per placement, an SVG plot and all rows, target/bench/ipc-host.{md,svg,tsv}
    --runs R    with --host: measure R times (default 5, 1..=21), the producers alternating, and
                report each figure as the median of the runs' figures, with the lowest and
                highest run median beside it (this machine's speed varies from run to run)
    --docs      with --host: also copy the plot to docs/bench-ipc-host.svg
    --instructions  with --host: count the instructions of one direct 0 B round trip instead
                (callgrind, two runs of the hosted runner; needs valgrind)
    --debug     benchmark the debug kernel instead of the release build
    --steps     build the kernel with rdtsc checkpoints along the direct path (feature
                ipc-steps) and print where a direct round trip's cycles go (the checkpoints
                cost cycles themselves: use the plain run for the table)
    --markdown  also print the table as markdown
    --timeout   limit for the whole boot (default 1800 s)";

/// Round trips per payload and path when N is not given (the kernel's own default too).
const DEFAULT_ROUNDS: u32 = 1000;
/// Runs of every producer for `--host` when `--runs` is not given.
const DEFAULT_RUNS: u32 = 5;
/// The whole session: boot, the benchmark (the kernel gives its client 600 s), shutdown.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// Rows the kernel's table must have: {direct, switch} × {0, 64, 1024} bytes.
const ROWS: usize = 6;

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let mut rounds = DEFAULT_ROUNDS;
    let mut markdown = false;
    let mut debug = false;
    let mut steps = false;
    let mut host = false;
    let mut docs = false;
    let mut runs = None;
    let mut instructions = false;
    let mut rest = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                let value = args.next().map_or("", String::as_str);
                runs = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|r| (1..=21).contains(r))
                        .ok_or_else(|| Failure::Usage(format!("bench ipc: --runs takes 1..=21, not `{value}`")))?,
                );
            }
            "--markdown" => markdown = true,
            "--debug" => debug = true,
            "--steps" => steps = true,
            "--host" => host = true,
            "--docs" => docs = true,
            "--instructions" => instructions = true,
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(ExitCode::SUCCESS);
            }
            n if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
                rounds = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=1_000_000).contains(n))
                    .ok_or_else(|| Failure::Usage(format!("bench ipc: N must be 1..=1000000, not `{n}`")))?;
            }
            _ => rest.push(arg.clone()),
        }
    }
    if host {
        if !rest.is_empty() || steps || debug || markdown {
            return Err(Failure::Usage(format!("bench ipc --host takes only N, --runs and --docs\n{HELP}")));
        }
        if instructions {
            if docs || runs.is_some() || rounds != DEFAULT_ROUNDS {
                return Err(Failure::Usage(format!("bench ipc --host --instructions takes nothing else\n{HELP}")));
            }
            return crate::bench_host::instructions();
        }
        return crate::bench_host::main(rounds, runs.unwrap_or(DEFAULT_RUNS), docs);
    }
    if docs || runs.is_some() || instructions {
        return Err(Failure::Usage(format!("bench ipc: --docs, --runs and --instructions go with --host\n{HELP}")));
    }
    let mut options = Options::parse(&rest, &["--accel", "--timeout"])?;
    options.release = !debug;
    let built = build::build(&options, if steps { build::Variant::Steps } else { build::Variant::Run })?;
    let tools = hayabusa_boot::ensure_tools()?;
    let accel = options.accel.resolve(&tools, &built.work_dir)?;
    let timeout = options.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let qemu_version = qemu_version(&tools.qemu);
    let config = VmConfig { tools, accel, image: Some(built.image), work_dir: built.work_dir, terminal: false, capture_stderr: true, net: None };

    let command = format!("bench ipc {rounds}");
    println!("accelerator: {} (-accel {} -cpu {})", accel_name(accel), accel.qemu_name(), accel.cpu_model());
    println!("host CPU: {} ({} logical CPUs)", host_cpu(), std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!("QEMU: {qemu_version}");
    println!("kernel: {} build{}", options.profile(), if steps { " with ipc-steps checkpoints" } else { "" });
    println!("command: {command}");
    eprintln!("xtask: booting under {} (limit {} s for boot, benchmark and shutdown)", accel.qemu_name(), timeout.as_secs());

    let session_error = |e: hayabusa_boot::SessionError| Failure::Error(e.to_string());
    let mut session = Session::start(&config, timeout)?;
    session.expect_prompt().map_err(session_error)?;
    let booted = session.elapsed();
    let output = session.command(&command).map_err(session_error)?;
    let took = session.elapsed() - booted;
    session.send("shutdown\n").map_err(session_error)?;
    session.expect_exit(Outcome::Success).map_err(session_error)?;

    let report: Vec<&str> = output.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    println!();
    for line in &report {
        println!("{line}");
    }
    println!();
    eprintln!("xtask: `{command}` took {:.1} s of wall time (boot {:.1} s)", took.as_secs_f64(), booted.as_secs_f64());

    let rows: Vec<Row> = report.iter().filter_map(|l| Row::parse(l)).collect();
    if output.contains("FAILED") {
        return Err(Failure::Error("the kernel's `bench ipc` reported FAILED (see its output above)".into()));
    }
    if rows.len() != ROWS || !report.iter().any(|l| l.trim_start().starts_with("path")) {
        return Err(Failure::Error(format!(
            "no complete table in the kernel's `bench ipc` output: {} of {ROWS} rows (see above)",
            rows.len()
        )));
    }
    if markdown {
        print_markdown(&rows, &report);
    }
    Ok(ExitCode::SUCCESS)
}

/// One row of the kernel's table: `direct      0 B          123          456         78         90     1000`.
struct Row {
    path: String,
    payload: u64,
    /// median cycles, p99 cycles, median ns, p99 ns, calls.
    numbers: [u64; 5],
}

impl Row {
    fn parse(line: &str) -> Option<Row> {
        let mut words = line.split_whitespace();
        let path = words.next().filter(|p| *p == "direct" || *p == "switch")?.to_string();
        let payload = words.next()?.parse().ok()?;
        if words.next()? != "B" {
            return None;
        }
        let numbers: Vec<u64> = words.map(str::parse).collect::<Result<_, _>>().ok()?;
        Some(Row { path, payload, numbers: numbers.try_into().ok()? })
    }
}

fn print_markdown(rows: &[Row], report: &[&str]) {
    println!("| path | payload | median cycles | p99 cycles | median ns | p99 ns | calls |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let [median, p99, median_ns, p99_ns, calls] = row.numbers;
        println!("| {} | {} B | {median} | {p99} | {median_ns} | {p99_ns} | {calls} |", row.path, row.payload);
    }
    println!();
    for line in report.iter().filter(|l| l.starts_with("bench ipc:")) {
        println!("{}", line.trim_start_matches("bench ipc:").trim());
        println!();
    }
}

/// The host CPU's "model name" from /proc/cpuinfo.
pub fn host_cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.split_once(':').filter(|(key, _)| key.trim() == "model name").map(|(_, v)| v.trim().to_string()))
        })
        .unwrap_or_else(|| "unknown (no model name in /proc/cpuinfo)".into())
}

/// "TCG" or "KVM".
pub(crate) fn accel_name(accel: Accel) -> &'static str {
    match accel {
        Accel::Tcg => "TCG",
        Accel::Kvm => "KVM",
    }
}

/// The first line of `qemu --version`.
pub(crate) fn qemu_version(qemu: &std::path::Path) -> String {
    Command::new(qemu)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

//! `cargo xtask spectest [DIR]`: runs every `.wast` file of the spec suite through the compiler
//! and the host runtime, one line per file, ending with `N passed, M failed, K skipped`. With
//! `--kernel` the same scripts run inside the booted kernel (`spectest_kernel.rs`).

use crate::Failure;
use hayabusa_compiler::{BoundsChecks, CompileOptions, CpuFeatures, OptLevel};
use hayabusa_compiler_host::spectest::{FileReport, Skips, run_file};
use hayabusa_compiler_host::{STACK_BUDGET, cpu};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;

/// The skip list: every entry names a file or directive and the feature it needs.
const SKIPS: &str = "kernel/compiler/spectest-skips.txt";

/// The spec suite's default place, beside the repository.
pub fn suite_dir() -> PathBuf {
    repo_root().join("../shared/wasm-testsuite")
}

/// The parsed skip list.
pub fn load_skips() -> Result<Skips, Failure> {
    let text = std::fs::read_to_string(repo_root().join(SKIPS)).map_err(|e| Failure::Error(format!("reading {SKIPS}: {e}")))?;
    Skips::parse(&text).map_err(Failure::Error)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repo").to_path_buf()
}

struct Args {
    dir: PathBuf,
    opts: CompileOptions,
    verbose: bool,
    only: Vec<String>,
    /// `--kernel`: run inside the booted kernel; with the boot options (`--accel`, `--timeout`).
    kernel: bool,
    boot: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Args, Failure> {
    let mut a = Args {
        dir: suite_dir(),
        opts: CompileOptions { cpu: cpu::host_features(), ..Default::default() },
        verbose: false,
        only: Vec::new(),
        kernel: false,
        boot: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--opt" => {
                let v = it.next().ok_or_else(|| Failure::Usage("--opt needs none|speed".into()))?;
                a.opts.opt = OptLevel::parse(v).ok_or_else(|| Failure::Usage(format!("bad --opt {v}")))?;
            }
            "--bounds" => match it.next().map(String::as_str) {
                Some("guard") => a.opts.bounds = BoundsChecks::Guard,
                Some("explicit") => a.opts.bounds = BoundsChecks::Explicit,
                _ => return Err(Failure::Usage("--bounds needs guard|explicit".into())),
            },
            "--cpu" => match it.next().map(String::as_str) {
                Some("host") => a.opts.cpu = cpu::host_features(),
                Some("x86-64-v2") => a.opts.cpu = CpuFeatures::x86_64_v2(),
                _ => return Err(Failure::Usage("--cpu needs host|x86-64-v2".into())),
            },
            "--file" => a.only.push(it.next().ok_or_else(|| Failure::Usage("--file needs a name".into()))?.clone()),
            "-v" | "--verbose" => a.verbose = true,
            "--kernel" => a.kernel = true,
            "--accel" | "--timeout" => {
                let v = it.next().ok_or_else(|| Failure::Usage(format!("{arg} needs a value")))?;
                a.boot.extend([arg.clone(), v.clone()]);
            }
            s if s.starts_with('-') => return Err(Failure::Usage(format!("spectest: unknown option {s}"))),
            dir => a.dir = PathBuf::from(dir),
        }
    }
    Ok(a)
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let a = parse_args(args)?;
    let skips = load_skips()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&a.dir)
        .map_err(|e| Failure::Error(format!("reading {}: {e}", a.dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wast"))
        .collect();
    files.sort();
    if !a.only.is_empty() {
        files.retain(|p| a.only.iter().any(|o| p.file_name().is_some_and(|n| n.to_string_lossy() == *o)));
    }
    if a.kernel {
        if a.opts.cpu != cpu::host_features() {
            return Err(Failure::Usage("spectest --kernel: the kernel compiles for its own CPU (no --cpu)".into()));
        }
        let total = crate::spectest_kernel::run(&files, &skips, &a.opts, &a.boot, a.verbose)?;
        return Ok(summary(&total));
    }
    let (opts, verbose) = (a.opts, a.verbose);
    // Wasm runs on this thread's stack: give it room, and let deep recursion trap well before.
    STACK_BUDGET.store(64 << 20, Ordering::Relaxed);
    let worker = std::thread::Builder::new().stack_size(256 << 20).spawn(move || {
        let mut total = FileReport::default();
        for path in &files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let report = match std::fs::read_to_string(path) {
                Ok(text) => run_file(&name, &text, &skips, opts),
                Err(e) => cannot_read(&name, e),
            };
            print_file(&name, &report, verbose);
            total.merge(report);
        }
        total
    });
    let total = worker
        .map_err(|e| Failure::Error(format!("spawning the runner thread: {e}")))?
        .join()
        .map_err(|_| Failure::Error("the runner thread panicked".into()))?;
    Ok(summary(&total))
}

/// The report of a file that could not be read.
pub fn cannot_read(name: &str, e: std::io::Error) -> FileReport {
    let mut r = FileReport { failed: 1, ..FileReport::default() };
    r.failures.push(format!("{name}: cannot read: {e}"));
    r
}

/// One line per file, then its first failures (all, and every skip, with `verbose`).
pub fn print_file(name: &str, r: &FileReport, verbose: bool) {
    let verdict = if r.failed > 0 { "FAIL" } else if r.passed == 0 { "SKIP" } else { "ok  " };
    println!("{verdict} {name}: {} passed, {} failed, {} skipped", r.passed, r.failed, r.skipped);
    let shown = if verbose { r.failures.len() } else { 5 };
    for f in r.failures.iter().take(shown) {
        println!("       {f}");
    }
    if r.failures.len() > shown {
        println!("       ... {} more (use --verbose)", r.failures.len() - shown);
    }
    if verbose {
        for s in &r.skips {
            println!("       skipped {s}");
        }
    }
}

/// Skips by feature, stale skips, and `N passed, M failed, K skipped`; failure if any failed.
fn summary(total: &FileReport) -> ExitCode {
    let by: Vec<String> = total.skipped_by.iter().map(|(f, n)| format!("{f} {n}")).collect();
    println!("skipped by feature: {}", if by.is_empty() { "none".to_string() } else { by.join(", ") });
    if total.stale.is_empty() {
        println!("stale skips: none");
    } else {
        println!("stale skips ({}; each is a failure: remove it from {SKIPS}):", total.stale.len());
        for s in &total.stale {
            println!("    {s}");
        }
    }
    println!("{} passed, {} failed, {} skipped", total.passed, total.failed, total.skipped);
    if total.failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

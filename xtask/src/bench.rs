//! `cargo xtask bench compile [FILE.wasm...]`: compile throughput (Wasm code bytes per second,
//! functions per second) at both optimisation levels. Without files it builds the Rust sample
//! (`kernel/compiler/samples/rust-sample`, release and debug) for wasm32 and measures those.
//! `cargo xtask bench ipc [N]` is in `bench_ipc`, `cargo xtask bench http` in `bench_http`.

use crate::Failure;
use hayabusa_compiler::{CompileOptions, OptLevel};
use hayabusa_compiler_host::cpu;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const HELP: &str = "usage: cargo xtask bench compile [--iterations N] [FILE.wasm...]
       cargo xtask bench ipc [N] [--debug] [--accel auto|tcg|kvm] [--timeout SECS] [--markdown]
       cargo xtask bench ipc --host [N] [--runs R] [--docs]
       cargo xtask bench ipc --host --instructions
       cargo xtask bench http [--requests N] [--connections C] [--docs] [--accel auto|tcg|kvm] [--timeout SECS]";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repo").to_path_buf()
}

/// Builds the Rust sample for wasm32 in both profiles; returns the two modules.
fn build_samples() -> Result<Vec<PathBuf>, Failure> {
    let root = repo_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("samples");
    let manifest = root.join("kernel/compiler/samples/rust-sample/Cargo.toml");
    let mut out = Vec::new();
    for (profile, flag) in [("release", Some("--release")), ("debug", None)] {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["build", "-q", "--target", "wasm32-unknown-unknown", "--manifest-path"]).arg(&manifest);
        cmd.arg("--target-dir").arg(&target);
        cmd.args(flag);
        let status = cmd.status().map_err(|e| Failure::Error(format!("running cargo: {e}")))?;
        if !status.success() {
            return Err(Failure::Error("building the Rust sample for wasm32 failed".into()));
        }
        out.push(target.join(format!("wasm32-unknown-unknown/{profile}/rust_sample.wasm")));
    }
    Ok(out)
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    match args.first().map(String::as_str) {
        Some("compile") => {}
        Some("ipc") => return crate::bench_ipc::main(&args[1..]),
        Some("http") => return crate::bench_http::main(&args[1..]),
        _ => return Err(Failure::Usage(HELP.into())),
    }
    let mut iterations = 5usize;
    let mut files = Vec::new();
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--iterations" => {
                iterations = it.next().and_then(|n| n.parse().ok()).ok_or_else(|| Failure::Usage(HELP.into()))?
            }
            f => files.push(PathBuf::from(f)),
        }
    }
    if files.is_empty() {
        files = build_samples()?;
    }
    println!("| module | Wasm code bytes | functions | opt | best of {iterations} | MB/s | functions/s |");
    println!("|---|---:|---:|---|---:|---:|---:|");
    for file in &files {
        let wasm = std::fs::read(file).map_err(|e| Failure::Error(format!("reading {}: {e}", file.display())))?;
        for opt in [OptLevel::None, OptLevel::Speed] {
            let opts = CompileOptions { opt, cpu: cpu::host_features(), ..Default::default() };
            let mut best = f64::MAX;
            let mut shape = (0usize, 0usize);
            for _ in 0..iterations.max(1) {
                let t0 = Instant::now();
                let m = hayabusa_compiler::compile(&wasm, &opts).map_err(|e| Failure::Error(e.to_string()))?;
                best = best.min(t0.elapsed().as_secs_f64());
                shape = (m.info.bodies.iter().map(|b| b.len()).sum(), m.info.bodies.len());
            }
            let name = file.strip_prefix(repo_root()).unwrap_or(file).display().to_string();
            println!(
                "| {name} | {} | {} | {opt:?} | {:.1} ms | {:.2} | {:.0} |",
                shape.0,
                shape.1,
                best * 1e3,
                shape.0 as f64 / best / 1e6,
                shape.1 as f64 / best
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

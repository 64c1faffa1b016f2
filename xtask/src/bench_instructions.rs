//! `cargo xtask bench ipc --host --instructions`: how many instructions one direct-path round
//! trip at 0 B executes natively — a count, not a time, so it does not move with the machine's
//! load. The hosted runner runs `pingpong-client bench N direct` under callgrind twice, with N
//! and 3N round trips; the difference of the two totals over 2N is the count per round trip (the
//! start, the other tasks and the shutdown cancel out). It includes the client's Wasm loop around
//! each call, as the `bench ipc` figures do.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use crate::{Failure, cargo};

/// Round trips of the shorter run; the longer makes three times as many.
const ROUNDS: u64 = 10_000;

/// Counts with the programs in `programs`; `target` is cargo's target folder (the runner's
/// build, and `bench/` for callgrind's profiles).
pub fn main(target: &Path, programs: &Path) -> Result<ExitCode, Failure> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return Err(Failure::Error("--instructions needs valgrind (`apt-get install valgrind`)".into()));
    }
    let mut build = cargo::command();
    build.args(["build", "-q", "--release", "-p", "hayabusa-hosted", "--bin", "hayabusa-host"]);
    cargo::run(build, "building the hosted runner")?;
    let runner = target.join("release/hayabusa-host");
    let out = target.join("bench");
    let short = total(&runner, programs, ROUNDS, &out)?;
    let long = total(&runner, programs, 3 * ROUNDS, &out)?;
    let per = long.checked_sub(short).ok_or_else(|| Failure::Error(format!("the longer run counted fewer instructions ({long} < {short})")))? as f64
        / (2 * ROUNDS) as f64;
    println!("instructions per direct 0 B round trip (client loop included): {per:.0}");
    println!("({short} instructions with {ROUNDS} round trips, {long} with {}; callgrind)", 3 * ROUNDS);
    Ok(ExitCode::SUCCESS)
}

/// The instructions callgrind counted in a whole runner session making `rounds` round trips.
fn total(runner: &Path, programs: &Path, rounds: u64, out: &Path) -> Result<u64, Failure> {
    let profile = out.join(format!("callgrind-direct-{rounds}.out"));
    let mut child = Command::new("valgrind")
        .args(["--tool=callgrind", "--smc-check=all-non-file"])
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .arg(runner)
        .arg(programs)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure::Error(format!("cannot start valgrind: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    writeln!(stdin, "run pingpong-client bench {rounds} direct").map_err(|e| Failure::Error(format!("writing to the runner: {e}")))?;
    let mut timed = false;
    for line in lines.by_ref() {
        let line = line.map_err(|e| Failure::Error(format!("reading the runner: {e}")))?;
        timed |= line.contains("round trips per size timed");
        if line.contains("(pingpong-client) exited") {
            break;
        }
    }
    let _ = writeln!(stdin, "shutdown");
    drop(stdin);
    // What it says until it ends (it must not write into a closed pipe).
    lines.for_each(drop);
    let output = child.wait_with_output().map_err(|e| Failure::Error(format!("waiting for valgrind: {e}")))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || !timed {
        return Err(Failure::Error(format!("the runner's session with {rounds} round trips failed ({}):\n{}", output.status, stderr.trim_end())));
    }
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").and_then(|(_, n)| n.trim().parse().ok()))
        .ok_or_else(|| Failure::Error(format!("callgrind printed no total:\n{}", stderr.trim_end())))
}

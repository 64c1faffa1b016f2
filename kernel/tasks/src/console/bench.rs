//! `bench ipc [N]`: round-trip latency of `ipc_call` → server handler → reply on both paths, as
//! the caller's Wasm code sees it. Runs `pingpong-client bench N` against the `pingpong` server
//! (direct path) and the same server binary as `pingpong-switch` (forced onto the switch path):
//! N round trips per payload size (0, 64, 1024 bytes) and path, in batches the client brackets
//! with `bench_mark` (`crate::bench`); [`measure`] gathers medians and p99 of the per-call time
//! of each batch in TSC cycles, and the floors: the timer itself, a plain call into compiled
//! code, and the server's handler alone; [`run`] prints them with ns and the switch/direct ratio.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::bench::{self, Path, Sample};
use crate::lifecycle::uptime_ms;
use crate::system::System;
use crate::{kill, provider, say, start, steps, wait_gone};

/// Payload sizes measured, in bytes.
pub const SIZES: [u32; 3] = [0, 64, 1024];
const SERVERS: [&str; 2] = ["pingpong", "pingpong-switch"];
/// The pingpong protocol's request kind (`examples/pingpong/protocol.rs`).
const PING: u32 = 1;
const DEFAULT_ROUNDS: u32 = 1000;
/// The client gets this long before the benchmark gives up on it.
const CLIENT_TIMEOUT_MS: u64 = 600_000;

/// Median and 99th percentile, in TSC cycles, and how many calls they cover.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figure {
    pub median: u64,
    pub p99: u64,
    pub calls: u64,
}

/// What one `bench ipc` measured.
pub struct Report {
    pub rounds: u32,
    /// Round trips per timed batch.
    pub batch: u32,
    /// By path (direct, switch) and by payload ([`SIZES`]).
    pub paths: [[Figure; SIZES.len()]; 2],
    /// Batches that took both paths, not counted.
    pub mixed: usize,
    /// `bench_mark` out and back in with no call, per batch.
    pub timer: u64,
    /// A plain call into compiled code (`hayabusa_msg_buffer`).
    pub plain: Figure,
    /// The server's handler alone, on its handler stack, with an empty PING.
    pub handler: Figure,
    /// With the `ipc-steps` feature: each step's median and the calls they cover.
    pub steps: Option<([u64; steps::STEPS], u64)>,
}

/// `bench ipc [N]`; `machine` says what it runs on (in the kernel: the hypervisor it sees).
pub fn run<S: System>(args: &[&str], machine: &str) {
    let rounds = match args {
        ["ipc"] => Some(DEFAULT_ROUNDS),
        ["ipc", n] => n.parse().ok().filter(|n| (1..=1_000_000).contains(n)),
        _ => None,
    };
    let Some(rounds) = rounds else {
        say!(S, "usage: bench ipc [N]   (N round trips per payload and path, 1..=1000000, default {DEFAULT_ROUNDS})");
        return;
    };
    match measure::<S>(rounds) {
        Ok(report) => print::<S>(&report, machine),
        Err(why) => say!(S, "bench ipc: FAILED: {why}"),
    }
}

/// Starts `service`'s task if nobody provides it; whether it is provided.
fn ensure_server<S: System>(service: &str) -> Result<(), String> {
    if provider::<S>(service).is_some() {
        return Ok(());
    }
    start::<S>(service, None).map_err(|e| format!("cannot start {service}: {e}"))?;
    let deadline = uptime_ms::<S>() + 5000;
    while provider::<S>(service).is_none() && uptime_ms::<S>() < deadline {
        S::yield_now();
    }
    provider::<S>(service).map(|_| ()).ok_or_else(|| format!("{service} did not register its service"))
}

/// Runs the benchmark with `rounds` round trips per payload and path.
pub fn measure<S: System>(rounds: u32) -> Result<Report, String> {
    for server in SERVERS {
        ensure_server::<S>(server)?;
    }
    // The client runs `rounds` round trips to each server per size, in batches, and as many
    // empty batches.
    let client = start::<S>("pingpong-client", Some(&format!("bench {rounds}"))).map_err(|e| format!("cannot start pingpong-client: {e}"))?;
    steps::reset();
    bench::start::<S>(client, (2 * SIZES.len() + 1) * rounds as usize + 16);
    let finished = wait_gone::<S>(client, CLIENT_TIMEOUT_MS);
    let samples = bench::stop::<S>();
    if !finished {
        let _ = kill::<S>(client);
        return Err(format!("pingpong-client did not finish in {} s", CLIENT_TIMEOUT_MS / 1000));
    }
    let steps = steps::medians();
    let plain = bench::plain_calls::<S>(SERVERS[0], rounds as usize).unwrap_or_default();
    let handler = bench::handler_calls::<S>(SERVERS[0], PING, rounds as usize).unwrap_or_default();
    let mut paths = [[Figure::default(); SIZES.len()]; 2];
    for (p, path) in [Path::Direct, Path::Switch].into_iter().enumerate() {
        for (s, size) in SIZES.into_iter().enumerate() {
            let calls = samples.iter().filter(|x| x.path == path && x.len == size).map(|x| u64::from(x.calls)).sum();
            let (median, p99) = percentiles(&mut per_call(&samples, path, size));
            paths[p][s] = Figure { median, p99, calls };
        }
    }
    let mut floor: Vec<u64> = samples.iter().filter(|x| x.path == Path::Floor).map(|x| x.cycles).collect();
    Ok(Report {
        rounds,
        batch: samples.iter().find(|x| x.path != Path::Floor).map_or(0, |x| x.calls),
        paths,
        mixed: samples.iter().filter(|x| x.path == Path::Mixed).count(),
        timer: percentiles(&mut floor).0,
        plain: figure(plain),
        handler: figure(handler),
        steps,
    })
}

fn figure(mut cycles: Vec<u64>) -> Figure {
    let (median, p99) = percentiles(&mut cycles);
    Figure { median, p99, calls: cycles.len() as u64 }
}

/// Median and 99th percentile of `values` (sorted in place); zeros when empty.
fn percentiles(values: &mut [u64]) -> (u64, u64) {
    if values.is_empty() {
        return (0, 0);
    }
    values.sort_unstable();
    let at = |q: usize| values[((values.len() - 1) * q).div_ceil(100)];
    (at(50), at(99))
}

/// Per-call cycles of the batches of `path` with `size`-byte payloads, sorted.
fn per_call(samples: &[Sample], path: Path, size: u32) -> Vec<u64> {
    samples.iter().filter(|x| x.path == path && x.len == size).map(Sample::per_call).collect()
}

/// Prints `r` as the console's table and summary lines.
pub fn print<S: System>(r: &Report, machine: &str) {
    let hz = S::cycles_hz().max(1);
    let ns = |cycles: u64| (u128::from(cycles) * 1_000_000_000 / u128::from(hz)) as u64;
    say!(
        S,
        "bench ipc: {} round trips per payload and path, timed from the caller's Wasm code in batches of {}; TSC {} MHz; {machine}",
        r.rounds,
        r.batch,
        hz / 1_000_000
    );
    say!(S, "{:<8} {:>8} {:>12} {:>12} {:>10} {:>10} {:>8}", "path", "payload", "median cyc", "p99 cyc", "median ns", "p99 ns", "calls");
    for (p, name) in ["direct", "switch"].into_iter().enumerate() {
        for (s, size) in SIZES.into_iter().enumerate() {
            let f = r.paths[p][s];
            say!(S, "{name:<8} {:>6} B {:>12} {:>12} {:>10} {:>10} {:>8}", size, f.median, f.p99, ns(f.median), ns(f.p99), f.calls);
        }
    }
    if r.mixed > 0 {
        say!(S, "bench ipc: {} batches took both paths and are not counted", r.mixed);
    }
    let ratios: Vec<String> = SIZES
        .iter()
        .enumerate()
        .map(|(s, size)| match r.paths[0][s].median {
            0 => format!("{size} B n/a"),
            d => format!("{size} B {:.1}x", r.paths[1][s].median as f64 / d as f64),
        })
        .collect();
    say!(S, "bench ipc: switch/direct (medians): {}", ratios.join(", "));
    say!(
        S,
        "bench ipc: timer floor (bench_mark out and back in, no call): median {} cyc per batch, {} cyc per call (included above)",
        r.timer,
        r.timer / u64::from(r.batch.max(1))
    );
    say!(
        S,
        "bench ipc: plain kernel -> Wasm call (hayabusa_msg_buffer): median {} cyc ({} ns), p99 {} cyc",
        r.plain.median,
        ns(r.plain.median),
        r.plain.p99
    );
    say!(
        S,
        "bench ipc: handler alone (kernel -> hayabusa_handle on its handler stack, 0 B PING, no IPC): median {} cyc ({} ns), p99 {} cyc",
        r.handler.median,
        ns(r.handler.median),
        r.handler.p99
    );
    let (direct, median, alone) = (r.paths[0][0].median, r.plain.median, r.handler.median);
    if direct > 0 && median > 0 && alone > 0 {
        say!(
            S,
            "bench ipc: direct 0 B round trip = {:.2} plain calls = {:.2}x the handler alone; beyond the handler's own work the IPC costs {} cyc = {:.2} plain calls",
            direct as f64 / median as f64,
            direct as f64 / alone as f64,
            direct.saturating_sub(alone),
            direct.saturating_sub(alone) as f64 / median as f64
        );
    }
    if let Some((medians, calls)) = r.steps {
        say!(
            S,
            "bench ipc: direct-path steps (ipc-steps build, medians of {calls} direct 0 B calls; each step includes one checkpoint of {} cyc):",
            steps::calibrate::<S>()
        );
        for (name, cycles) in steps::NAMES.iter().zip(medians) {
            say!(S, "  {cycles:>8} cyc  {name}");
        }
    }
}

//! `bench ipc [N]`: round-trip latency of `ipc_call` → server handler → reply on both paths, as
//! the caller's Wasm code sees it. Runs `pingpong-client bench N` against the `pingpong` server
//! (direct path) and the same server binary as `pingpong-switch` (forced onto the switch path):
//! N round trips per payload size (0, 64, 1024 bytes) and path, in batches the client brackets
//! with `bench_mark` (`task::bench`); prints medians and p99 of the per-call time of each batch
//! in TSC cycles and ns, the switch/direct ratio, and the floors: the timer itself, a plain
//! kernel → Wasm call, and the server's handler alone.
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::commands::Outcome;
use crate::arch::cpu;
use crate::task::bench::{self, Path, Sample};
use crate::task::steps;
use crate::{kprintln, task, time};

const SIZES: [u32; 3] = [0, 64, 1024];
const SERVERS: [&str; 2] = ["pingpong", "pingpong-switch"];
/// The pingpong protocol's request kind (`examples/pingpong/protocol.rs`).
const PING: u32 = 1;
const DEFAULT_ROUNDS: u32 = 1000;
/// The client gets this long before the benchmark gives up on it.
const CLIENT_TIMEOUT_MS: u64 = 600_000;

pub fn run(args: &[&str]) -> Outcome {
    let rounds = match args {
        ["ipc"] => Some(DEFAULT_ROUNDS),
        ["ipc", n] => n.parse().ok().filter(|n| (1..=1_000_000).contains(n)),
        _ => None,
    };
    match rounds {
        Some(rounds) => ipc(rounds),
        None => kprintln!("usage: bench ipc [N]   (N round trips per payload and path, 1..=1000000, default {DEFAULT_ROUNDS})"),
    }
    Outcome::Continue
}

/// Starts `service`'s task if nobody provides it; whether it is provided.
fn ensure_server(service: &str) -> bool {
    if task::provider(service).is_some() {
        return true;
    }
    if let Err(e) = task::start(service, None) {
        kprintln!("bench ipc: cannot start {service}: {e}");
        return false;
    }
    let deadline = time::uptime_ms() + 5000;
    while task::provider(service).is_none() && time::uptime_ms() < deadline {
        crate::sched::yield_now();
    }
    task::provider(service).is_some()
}

fn ipc(rounds: u32) {
    if !SERVERS.iter().all(|s| ensure_server(s)) {
        kprintln!("bench ipc: FAILED: the pingpong servers are not running");
        return;
    }
    // The client runs `rounds` round trips to each server per size, in batches, and as many
    // empty batches.
    let client = match task::start("pingpong-client", Some(&format!("bench {rounds}"))) {
        Ok(id) => id,
        Err(e) => {
            kprintln!("bench ipc: FAILED: cannot start pingpong-client: {e}");
            return;
        }
    };
    steps::reset();
    bench::start(client, (2 * SIZES.len() + 1) * rounds as usize + 16);
    let finished = task::wait_gone(client, CLIENT_TIMEOUT_MS);
    let samples = bench::stop();
    if !finished {
        let _ = task::kill(client);
        kprintln!("bench ipc: FAILED: pingpong-client did not finish in {} s", CLIENT_TIMEOUT_MS / 1000);
        return;
    }
    let steps = steps::medians();
    let plain = bench::plain_calls(SERVERS[0], rounds as usize).unwrap_or_default();
    let handler = bench::handler_calls(SERVERS[0], PING, rounds as usize).unwrap_or_default();
    report(rounds, &samples, plain, handler);
    if let Some((means, calls)) = steps {
        let checkpoint = steps::calibrate();
        kprintln!("bench ipc: direct-path steps (ipc-steps build, medians of {calls} direct 0 B calls; each step includes one checkpoint of {checkpoint} cyc):");
        for (name, cycles) in steps::NAMES.iter().zip(means) {
            kprintln!("  {cycles:>8} cyc  {name}");
        }
    }
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

fn report(rounds: u32, samples: &[Sample], mut plain: Vec<u64>, mut handler: Vec<u64>) {
    let hz = time::tsc_hz().max(1);
    let ns = |cycles: u64| (u128::from(cycles) * 1_000_000_000 / u128::from(hz)) as u64;
    let hypervisor = cpu::hypervisor().unwrap_or_else(|| String::from("none"));
    let batch = samples.iter().find(|x| x.path != Path::Floor).map_or(0, |x| x.calls);
    kprintln!(
        "bench ipc: {rounds} round trips per payload and path, timed from the caller's Wasm code in batches of {batch}; TSC {} MHz; hypervisor {hypervisor}",
        hz / 1_000_000
    );
    kprintln!("{:<8} {:>8} {:>12} {:>12} {:>10} {:>10} {:>8}", "path", "payload", "median cyc", "p99 cyc", "median ns", "p99 ns", "calls");
    let mut medians = [[0u64; SIZES.len()]; 2];
    for (p, path) in [Path::Direct, Path::Switch].into_iter().enumerate() {
        for (s, size) in SIZES.into_iter().enumerate() {
            let calls: u64 = samples.iter().filter(|x| x.path == path && x.len == size).map(|x| u64::from(x.calls)).sum();
            let (median, p99) = percentiles(&mut per_call(samples, path, size));
            medians[p][s] = median;
            let name = if path == Path::Direct { "direct" } else { "switch" };
            kprintln!("{name:<8} {:>6} B {median:>12} {p99:>12} {:>10} {:>10} {:>8}", size, ns(median), ns(p99), calls);
        }
    }
    let mixed = samples.iter().filter(|x| x.path == Path::Mixed).count();
    if mixed > 0 {
        kprintln!("bench ipc: {mixed} batches took both paths and are not counted");
    }
    let ratios: Vec<String> = SIZES
        .iter()
        .enumerate()
        .map(|(s, size)| match medians[0][s] {
            0 => format!("{size} B n/a"),
            d => format!("{size} B {:.1}x", medians[1][s] as f64 / d as f64),
        })
        .collect();
    kprintln!("bench ipc: switch/direct (medians): {}", ratios.join(", "));
    let mut floor: Vec<u64> = samples.iter().filter(|x| x.path == Path::Floor).map(|x| x.cycles).collect();
    let (timer, _) = percentiles(&mut floor);
    kprintln!(
        "bench ipc: timer floor (bench_mark out and back in, no call): median {timer} cyc per batch, {} cyc per call (included above)",
        timer / u64::from(batch.max(1))
    );
    let (median, p99) = percentiles(&mut plain);
    kprintln!("bench ipc: plain kernel -> Wasm call (hayabusa_msg_buffer): median {median} cyc ({} ns), p99 {p99} cyc", ns(median));
    let (alone, alone_p99) = percentiles(&mut handler);
    kprintln!(
        "bench ipc: handler alone (kernel -> hayabusa_handle on its handler stack, 0 B PING, no IPC): median {alone} cyc ({} ns), p99 {alone_p99} cyc",
        ns(alone)
    );
    let direct = medians[0][0];
    if direct > 0 && median > 0 && alone > 0 {
        kprintln!(
            "bench ipc: direct 0 B round trip = {:.2} plain calls = {:.2}x the handler alone; beyond the handler's own work the IPC costs {} cyc = {:.2} plain calls",
            direct as f64 / median as f64,
            direct as f64 / alone as f64,
            direct.saturating_sub(alone),
            direct.saturating_sub(alone) as f64 / median as f64
        );
    }
}

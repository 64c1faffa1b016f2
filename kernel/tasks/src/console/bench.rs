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

use crate::bench::{self, Path, Sample};
use crate::lifecycle::uptime_ms;
use crate::system::System;
use crate::{kill, provider, say, start, steps, wait_gone};

const SIZES: [u32; 3] = [0, 64, 1024];
const SERVERS: [&str; 2] = ["pingpong", "pingpong-switch"];
/// The pingpong protocol's request kind (`examples/pingpong/protocol.rs`).
const PING: u32 = 1;
const DEFAULT_ROUNDS: u32 = 1000;
/// The client gets this long before the benchmark gives up on it.
const CLIENT_TIMEOUT_MS: u64 = 600_000;

/// `bench ipc [N]`; `machine` says what it runs on (in the kernel: the hypervisor it sees).
pub fn run<S: System>(args: &[&str], machine: &str) {
    let rounds = match args {
        ["ipc"] => Some(DEFAULT_ROUNDS),
        ["ipc", n] => n.parse().ok().filter(|n| (1..=1_000_000).contains(n)),
        _ => None,
    };
    match rounds {
        Some(rounds) => ipc::<S>(rounds, machine),
        None => say!(S, "usage: bench ipc [N]   (N round trips per payload and path, 1..=1000000, default {DEFAULT_ROUNDS})"),
    }
}

/// Starts `service`'s task if nobody provides it; whether it is provided.
fn ensure_server<S: System>(service: &str) -> bool {
    if provider::<S>(service).is_some() {
        return true;
    }
    if let Err(e) = start::<S>(service, None) {
        say!(S, "bench ipc: cannot start {service}: {e}");
        return false;
    }
    let deadline = uptime_ms::<S>() + 5000;
    while provider::<S>(service).is_none() && uptime_ms::<S>() < deadline {
        S::yield_now();
    }
    provider::<S>(service).is_some()
}

fn ipc<S: System>(rounds: u32, machine: &str) {
    if !SERVERS.iter().all(|s| ensure_server::<S>(s)) {
        say!(S, "bench ipc: FAILED: the pingpong servers are not running");
        return;
    }
    // The client runs `rounds` round trips to each server per size, in batches, and as many
    // empty batches.
    let client = match start::<S>("pingpong-client", Some(&format!("bench {rounds}"))) {
        Ok(id) => id,
        Err(e) => {
            say!(S, "bench ipc: FAILED: cannot start pingpong-client: {e}");
            return;
        }
    };
    steps::reset();
    bench::start::<S>(client, (2 * SIZES.len() + 1) * rounds as usize + 16);
    let finished = wait_gone::<S>(client, CLIENT_TIMEOUT_MS);
    let samples = bench::stop::<S>();
    if !finished {
        let _ = kill::<S>(client);
        say!(S, "bench ipc: FAILED: pingpong-client did not finish in {} s", CLIENT_TIMEOUT_MS / 1000);
        return;
    }
    let steps = steps::medians();
    let plain = bench::plain_calls::<S>(SERVERS[0], rounds as usize).unwrap_or_default();
    let handler = bench::handler_calls::<S>(SERVERS[0], PING, rounds as usize).unwrap_or_default();
    report::<S>(rounds, &samples, plain, handler, machine);
    if let Some((means, calls)) = steps {
        let checkpoint = steps::calibrate::<S>();
        say!(S, "bench ipc: direct-path steps (ipc-steps build, medians of {calls} direct 0 B calls; each step includes one checkpoint of {checkpoint} cyc):");
        for (name, cycles) in steps::NAMES.iter().zip(means) {
            say!(S, "  {cycles:>8} cyc  {name}");
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

fn report<S: System>(rounds: u32, samples: &[Sample], mut plain: Vec<u64>, mut handler: Vec<u64>, machine: &str) {
    let hz = S::cycles_hz().max(1);
    let ns = |cycles: u64| (u128::from(cycles) * 1_000_000_000 / u128::from(hz)) as u64;
    let batch = samples.iter().find(|x| x.path != Path::Floor).map_or(0, |x| x.calls);
    say!(
        S,
        "bench ipc: {rounds} round trips per payload and path, timed from the caller's Wasm code in batches of {batch}; TSC {} MHz; {machine}",
        hz / 1_000_000
    );
    say!(S, "{:<8} {:>8} {:>12} {:>12} {:>10} {:>10} {:>8}", "path", "payload", "median cyc", "p99 cyc", "median ns", "p99 ns", "calls");
    let mut medians = [[0u64; SIZES.len()]; 2];
    for (p, path) in [Path::Direct, Path::Switch].into_iter().enumerate() {
        for (s, size) in SIZES.into_iter().enumerate() {
            let calls: u64 = samples.iter().filter(|x| x.path == path && x.len == size).map(|x| u64::from(x.calls)).sum();
            let (median, p99) = percentiles(&mut per_call(samples, path, size));
            medians[p][s] = median;
            let name = if path == Path::Direct { "direct" } else { "switch" };
            say!(S, "{name:<8} {:>6} B {median:>12} {p99:>12} {:>10} {:>10} {:>8}", size, ns(median), ns(p99), calls);
        }
    }
    let mixed = samples.iter().filter(|x| x.path == Path::Mixed).count();
    if mixed > 0 {
        say!(S, "bench ipc: {mixed} batches took both paths and are not counted");
    }
    let ratios: Vec<String> = SIZES
        .iter()
        .enumerate()
        .map(|(s, size)| match medians[0][s] {
            0 => format!("{size} B n/a"),
            d => format!("{size} B {:.1}x", medians[1][s] as f64 / d as f64),
        })
        .collect();
    say!(S, "bench ipc: switch/direct (medians): {}", ratios.join(", "));
    let mut floor: Vec<u64> = samples.iter().filter(|x| x.path == Path::Floor).map(|x| x.cycles).collect();
    let (timer, _) = percentiles(&mut floor);
    say!(
        S,
        "bench ipc: timer floor (bench_mark out and back in, no call): median {timer} cyc per batch, {} cyc per call (included above)",
        timer / u64::from(batch.max(1))
    );
    let (median, p99) = percentiles(&mut plain);
    say!(S, "bench ipc: plain kernel -> Wasm call (hayabusa_msg_buffer): median {median} cyc ({} ns), p99 {p99} cyc", ns(median));
    let (alone, alone_p99) = percentiles(&mut handler);
    say!(
        S,
        "bench ipc: handler alone (kernel -> hayabusa_handle on its handler stack, 0 B PING, no IPC): median {alone} cyc ({} ns), p99 {alone_p99} cyc",
        ns(alone)
    );
    let direct = medians[0][0];
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
}

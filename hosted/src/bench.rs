//! The runner as a producer of `cargo xtask bench ipc --host`: runs the task layer's `bench ipc`
//! (the same measurement as the console command, in the kernel and here) natively, pinned to one
//! CPU or spread over two, and writes Hayabusa's rows in the benchmark's row format (tab-separated:
//! placement, system, what, payload, median and p99 cycles, median and p99 ns, source; see
//! `xtask/src/bench_rows.rs`).
use std::fmt::Write as _;
use std::path::Path;

use hayabusa_tasks::console::bench::{self, Figure, SIZES};
use rustix::thread::CpuSet;

use crate::system::Hosted;

/// Restricts this process (all threads started from now on) to the first `cpus` CPUs.
pub fn pin(cpus: usize) -> Result<(), String> {
    let mut set = CpuSet::new();
    for cpu in 0..cpus {
        set.set(cpu);
    }
    rustix::thread::sched_setaffinity(None, &set).map_err(|e| format!("cannot pin to {cpus} CPU(s): {e}"))
}

/// Measures `rounds` round trips per payload and path with the boot tasks running, and writes
/// the rows for `placement` ("one CPU" or "two CPUs") to `rows`.
pub fn produce(rounds: u32, placement: &str, rows: &Path) -> Result<(), String> {
    let report = bench::measure::<Hosted>(rounds)?;
    bench::print::<Hosted>(&report, "hosted on Linux (native)");
    // For scale: the figures are TSC cycles, and the core may run faster than the TSC.
    println!("bench ipc: core clock: {:.2} core cycles per TSC cycle (dependent additions)", crate::tsc::core_cycles_per_tsc_cycle());
    let hz = <Hosted as hayabusa_tasks::System>::cycles_hz().max(1) as f64;
    let ns = |cycles: u64| format!("{:.1}", cycles as f64 * 1e9 / hz);
    let mut out = String::from("# cargo xtask bench ipc --host: Hayabusa's rows, from the hosted runner (hosted/src/bench.rs)\n");
    let mut row = |what: &str, payload: &str, f: Figure| {
        let _ = writeln!(out, "{placement}\tHayabusa\t{what}\t{payload}\t{}\t{}\t{}\t{}\tmeasured", f.median, f.p99, ns(f.median), ns(f.p99));
    };
    let paths = ["direct path (handler on the caller's thread)", "switch path (two threads, block and wake)"];
    for (p, what) in paths.iter().enumerate() {
        for (s, size) in SIZES.iter().enumerate() {
            if report.paths[p][s].calls == 0 {
                return Err(format!("no {what} round trips with {size} B were measured"));
            }
            row(what, &size.to_string(), report.paths[p][s]);
        }
    }
    row("plain call into compiled code", "-", report.plain);
    row("handler alone (no IPC)", "0", report.handler);
    std::fs::write(rows, out).map_err(|e| format!("writing {}: {e}", rows.display()))
}

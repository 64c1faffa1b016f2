//! The `spectest` console command: runs the spec-suite scripts the ramdisk carries
//! (`spectest/NAME.wast`, lowered by `cargo xtask spectest --kernel`) with the kernel's own
//! compiler, memories, traps and stacks, through the executor the host runner uses
//! (`hayabusa-spectest`). Each file runs on a fresh thread and is freed before the next; its
//! report goes out as text lines `cargo xtask` reads back, with what the file left behind in
//! memory.
use alloc::vec::Vec;

use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel};
use hayabusa_spectest::serial::{self, Leftover};
use hayabusa_spectest::{FileReport, codec, run_script};

use super::commands::Outcome;
use crate::kprintln;
use crate::wasm::jit;
use crate::wasm::platform::Kernel;

/// Where the scripts sit in the ramdisk.
pub const DIR: &str = "spectest/";

/// Stack of the thread that runs a script: Cranelift's compiles and the Wasm calls share it, and
/// `assert_exhaustion` recursion must meet the stack limit well inside it.
const RUN_STACK: u64 = 8 << 20;

/// Name of the thread that runs a script.
const THREAD: &str = "spectest";

pub fn run(args: &[&str]) -> Outcome {
    let mut opts = CompileOptions { cpu: jit::cpu_features(), ..CompileOptions::default() };
    let mut names = Vec::new();
    for arg in args {
        match *arg {
            "speed" => opts.opt = OptLevel::Speed,
            "none" => opts.opt = OptLevel::None,
            "guard" => opts.bounds = BoundsChecks::Guard,
            "explicit" => opts.bounds = BoundsChecks::Explicit,
            name => names.push(name),
        }
    }
    let Some(ramdisk) = crate::ramdisk::get() else {
        kprintln!("spectest: no ramdisk");
        return Outcome::Continue;
    };
    if names.is_empty() {
        names = ramdisk.iter().filter_map(|f| f.name.strip_prefix(DIR)).collect();
        if names.is_empty() {
            kprintln!("spectest: the ramdisk has no scripts ({DIR}*: see `cargo xtask spectest --kernel`)");
        }
    }
    for name in names {
        let path = alloc::format!("{DIR}{name}");
        match ramdisk.get(&path) {
            Some(bytes) => run_file(name, bytes, opts),
            None => kprintln!("spectest: no script {path} in the ramdisk"),
        }
    }
    Outcome::Continue
}

/// What is allocated: heap bytes in use, frames outside the heap (the heap keeps what it once
/// mapped), reservations.
fn footprint() -> Leftover {
    // The run thread hands its report over just before it ends: let it end, and give its stack
    // back.
    while crate::sched::list().iter().any(|t| t.name == THREAD) {
        crate::sched::yield_now();
    }
    crate::sched::reap();
    let s = crate::mm::stats();
    Leftover { heap: s.heap.used as i64, frames: (s.frames.used() - s.heap.mapped / 4096) as i64, reservations: s.reservations as i64 }
}

fn run_file(name: &str, bytes: &'static [u8], opts: CompileOptions) {
    kprintln!("{}", serial::start_line(name));
    let before = footprint();
    let start = crate::time::uptime_ns();
    let report = match codec::decode(bytes) {
        Err(e) => failed(name, alloc::format!("{e}")),
        Ok(script) => match crate::sched::run_on_thread(THREAD, RUN_STACK, move || run_script::<Kernel>(&script, &opts)) {
            Ok(report) => report,
            Err(e) => failed(name, alloc::format!("cannot start the run thread: {e:?}")),
        },
    };
    let ms = (crate::time::uptime_ns() - start) / 1_000_000;
    // Printed and freed before the count: what the report holds is not the run's.
    for line in report.to_lines() {
        kprintln!("{line}");
    }
    drop(report);
    let after = footprint();
    let left = Leftover { heap: after.heap - before.heap, frames: after.frames - before.frames, reservations: after.reservations - before.reservations };
    kprintln!("{}", serial::done_line(name, ms, left));
}

fn failed(name: &str, why: alloc::string::String) -> FileReport {
    let mut r = FileReport { failed: 1, ..FileReport::default() };
    r.failures.push(alloc::format!("{name}: {why}"));
    r
}

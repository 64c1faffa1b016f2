//! Console commands about tasks and threads: `ps`, `run`, `spawn`, `kill`, `services` (the task
//! layer's own, `hayabusa_tasks::console`), `killthread`, `spin`, and the `threads` self-test.
use core::sync::atomic::{AtomicU64, Ordering};

use hayabusa_tasks::console::tasks;

use super::commands::Outcome;
use crate::arch::context::xmm_survives_until;
use crate::arch::cpu::rdtsc;
use crate::wasm::platform::Kernel;
use crate::{kprintln, sched, time};

/// `ps`: every task (state, linear memory, code size, compile time), then every kernel thread.
pub fn ps(_: &[&str]) -> Outcome {
    tasks::ps::<Kernel>();
    kprintln!("{:>6}  {:<16} {:<9} {:>8} {:>10}", "THREAD", "NAME", "STATE", "TICKS", "STACK KiB");
    for t in sched::list() {
        kprintln!("{:>6}  {:<16} {:<9} {:>8} {:>10}", t.id, t.name, t.state.name(), t.ticks, t.stack / 1024);
    }
    kprintln!("context switches since boot: {}", sched::switches());
    Outcome::Continue
}

/// `run NAME [ARGS]`: starts a task of the manifest; ARGS (the rest of the line) replace the
/// manifest's `args`.
pub fn run(args: &[&str]) -> Outcome {
    tasks::run::<Kernel>(args);
    Outcome::Continue
}

/// `spawn N NAME [ARGS]`: starts N tasks of the manifest's NAME, stopping at the first refusal.
pub fn spawn(args: &[&str]) -> Outcome {
    tasks::spawn::<Kernel>(args);
    Outcome::Continue
}

/// `kill ID` ends a task; `kill NAME`, every task of that name.
pub fn kill(args: &[&str]) -> Outcome {
    tasks::kill::<Kernel>(args);
    Outcome::Continue
}

/// `services`: registered service names, their tasks and paths.
pub fn services(_: &[&str]) -> Outcome {
    tasks::services::<Kernel>();
    Outcome::Continue
}

/// `killthread ID`: ends a kernel thread (not a task's: use `kill`).
pub fn kill_thread(args: &[&str]) -> Outcome {
    match args.first().map(|a| a.parse::<u64>()) {
        Some(Ok(id)) if hayabusa_tasks::list::<Kernel>().iter().any(|t| t.thread == id) => {
            kprintln!("error: thread {id} runs a task: use kill TASK")
        }
        Some(Ok(id)) => match sched::kill(id) {
            Ok(()) => kprintln!("killed thread {id}"),
            Err(sched::KillError::NoSuchThread) => kprintln!("error: no thread {id}"),
            Err(sched::KillError::Protected) => kprintln!("error: thread {id} cannot be killed"),
        },
        _ => kprintln!("usage: killthread ID"),
    }
    Outcome::Continue
}

/// `spin`: starts a kernel thread that loops forever without yielding (`killthread` ends it).
pub fn spin(_: &[&str]) -> Outcome {
    match sched::spawn("spin", || {
        loop {
            core::hint::spin_loop();
        }
    }) {
        Ok(id) => kprintln!("spin: started thread {id}"),
        Err(e) => kprintln!("error: cannot start thread: {e:?}"),
    }
    Outcome::Continue
}

const WORKERS: usize = 3;
static STARTED: [AtomicU64; WORKERS] = [const { AtomicU64::new(0) }; WORKERS];
static FINISHED: [AtomicU64; WORKERS] = [const { AtomicU64::new(0) }; WORKERS];
static INTACT: [AtomicU64; WORKERS] = [const { AtomicU64::new(0) }; WORKERS];

/// `threads`: three threads spin at once for 300 ms each with their own values in every XMM
/// register. Passes when every thread finished with its registers intact and the threads ran
/// interleaved (each started before any finished), which only preemption can arrange.
pub fn selftest(_: &[&str]) -> Outcome {
    let switches_before = sched::switches();
    let run_cycles = time::tsc_hz() * 3 / 10;
    for i in 0..WORKERS {
        STARTED[i].store(0, Ordering::SeqCst);
        FINISHED[i].store(0, Ordering::SeqCst);
        INTACT[i].store(0, Ordering::SeqCst);
        let spawned = sched::spawn("xmm-worker", move || {
            let start = rdtsc();
            STARTED[i].store(start, Ordering::SeqCst);
            let intact = xmm_survives_until(0x1111_1111_1111_1111 * (i as u64 + 1), start + run_cycles);
            INTACT[i].store(u64::from(intact), Ordering::SeqCst);
            FINISHED[i].store(rdtsc(), Ordering::SeqCst);
        });
        if let Err(e) = spawned {
            kprintln!("threads: FAILED to spawn: {e:?}");
            return Outcome::Continue;
        }
    }
    let deadline = time::uptime_ms() + 10_000;
    while FINISHED.iter().any(|f| f.load(Ordering::SeqCst) == 0) && time::uptime_ms() < deadline {
        sched::yield_now();
    }
    let finished = FINISHED.iter().all(|f| f.load(Ordering::SeqCst) != 0);
    let intact = INTACT.iter().all(|v| v.load(Ordering::SeqCst) == 1);
    let last_start = STARTED.iter().map(|s| s.load(Ordering::SeqCst)).max().unwrap_or(0);
    let first_end = FINISHED.iter().map(|s| s.load(Ordering::SeqCst)).min().unwrap_or(0);
    let interleaved = finished && last_start < first_end;
    let switches = sched::switches() - switches_before;
    if finished && intact && interleaved {
        kprintln!("threads: ok, {WORKERS} threads ran interleaved, {switches} context switches, XMM state preserved");
    } else {
        kprintln!("threads: FAILED (finished {finished}, xmm intact {intact}, interleaved {interleaved}, {switches} switches)");
    }
    Outcome::Continue
}

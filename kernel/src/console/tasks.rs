//! Console commands about tasks and threads: `ps`, `run`, `kill`, `services`, `killthread`,
//! `spin`, and the `threads` self-test.
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use super::commands::Outcome;
use crate::arch::context::xmm_survives_until;
use crate::arch::cpu::rdtsc;
use crate::{kprintln, sched, task, time};

/// `ps`: every task (state, linear memory, code size, compile time), then every kernel thread.
pub fn ps(_: &[&str]) -> Outcome {
    kprintln!("{:>4}  {:<16} {:<9} {:>6} {:>9} {:>10} {:>7}", "TASK", "NAME", "STATE", "PAGES", "CODE B", "COMPILE us", "THREAD");
    for t in task::list() {
        kprintln!(
            "{:>4}  {:<16} {:<9} {:>6} {:>9} {:>10} {:>7}",
            t.id,
            t.name,
            t.state,
            t.memory_pages,
            t.code_bytes,
            t.compile_us,
            t.thread
        );
    }
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
    let Some((name, rest)) = args.split_first() else {
        kprintln!("usage: run NAME [ARGS]");
        return Outcome::Continue;
    };
    let joined: String = rest.join(" ");
    let args = if rest.is_empty() { None } else { Some(joined.as_str()) };
    match task::start(name, args) {
        Ok(id) => kprintln!("run: started task {id} ({name})"),
        Err(e) => kprintln!("error: run {name}: {e}"),
    }
    Outcome::Continue
}

/// `spawn N NAME [ARGS]`: starts N tasks of the manifest's NAME, stopping at the first refusal.
pub fn spawn(args: &[&str]) -> Outcome {
    let (Some(Ok(count)), Some(name)) = (args.first().map(|n| n.parse::<usize>()), args.get(1)) else {
        kprintln!("usage: spawn N NAME [ARGS]");
        return Outcome::Continue;
    };
    let joined: String = args[2..].join(" ");
    let task_args = if args.len() > 2 { Some(joined.as_str()) } else { None };
    let mut ids = (0, 0);
    for started in 0..count {
        match task::start(name, task_args) {
            Ok(id) if started == 0 => ids = (id, id),
            Ok(id) => ids.1 = id,
            Err(e) => {
                kprintln!("spawn: started {started} of {count} {name} tasks; then refused: {e}");
                return Outcome::Continue;
            }
        }
    }
    kprintln!("spawn: started {count} {name} tasks (ids {} to {})", ids.0, ids.1);
    Outcome::Continue
}

/// `kill ID` ends a task; `kill NAME`, every task of that name.
pub fn kill(args: &[&str]) -> Outcome {
    match args.first().map(|a| (a, a.parse::<i32>())) {
        Some((_, Ok(id))) => match task::kill(id) {
            Ok((name, true)) => kprintln!("killed task {id} ({name})"),
            Ok((name, false)) => kprintln!("task {id} ({name}) is ending (still in the kernel)"),
            Err(task::KillError::NoSuchTask) => kprintln!("error: no task {id} (see ps)"),
        },
        Some((name, Err(_))) => match task::kill_named(name) {
            (0, _) => kprintln!("error: no task named {name} (see ps)"),
            (marked, gone) if gone == marked => kprintln!("killed {marked} {name} tasks"),
            (marked, gone) => kprintln!("killed {gone} of {marked} {name} tasks; the rest are ending"),
        },
        None => kprintln!("usage: kill ID|NAME"),
    }
    Outcome::Continue
}

/// `services`: registered service names, their tasks and paths.
pub fn services(_: &[&str]) -> Outcome {
    kprintln!("{:<16} {:>4}  {:<16} {:<7} {:>10} {:>10}", "SERVICE", "TASK", "NAME", "PATH", "DIRECT", "SWITCH");
    for s in task::services() {
        kprintln!(
            "{:<16} {:>4}  {:<16} {:<7} {:>10} {:>10}",
            s.name,
            s.task,
            s.task_name,
            s.path,
            s.direct_calls,
            s.switch_calls
        );
    }
    Outcome::Continue
}

/// `killthread ID`: ends a kernel thread (not a task's: use `kill`).
pub fn kill_thread(args: &[&str]) -> Outcome {
    match args.first().map(|a| a.parse::<u64>()) {
        Some(Ok(id)) if task::list().iter().any(|t| t.thread == id) => {
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

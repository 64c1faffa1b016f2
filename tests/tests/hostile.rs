//! The hostile corpus (`examples/hostile/`, `programs/manifest`): each program ends only itself
//! with the report it must get, while the console answers and pingpong serves; kills reach a
//! task wherever its thread is (inside a builtin, running another task's handler, waiting for a
//! reply); as many tasks start as the limits allow, with a clean refusal past that; and after
//! many spawn / trap / kill cycles the memory counters are back at their baseline.
//!
//! The baseline comparisons (`mem`): frames used *outside the kernel heap* must come back
//! exactly, up to [`TABLE_FRAMES`] page-table frames; the heap itself may keep what it mapped
//! (it never unmaps) and, after many tasks at once, the capacity its tables grew to — bounded
//! by [`HEAP_SLACK`].

use hayabusa_tests::{Session, SessionError, boot_for, line_starting, run, sync};

/// Upper-level page tables of the reservation area stay once made (each covers 512 GiB of it,
/// shared by many reservations, so none is freed with one): at most one per 512 GiB of the
/// 32 TiB area, and a few directories.
const TABLE_FRAMES: i64 = 72;
/// Heap bytes (KiB) the kernel may keep after ~2000 tasks at once: the grown capacity of its
/// task, thread and wait tables (a few hundred bytes per task slot), not leaks.
const HEAP_SLACK: i64 = 2048;

/// Heap bytes (KiB) the compiled-module cache may take for the eight modules first run after the
/// baseline (each distinct module is compiled once and kept: its declarations and code image).
const CACHE_SLACK: i64 = 64;

/// Starts `name` and waits until the output since the command holds `needle(id)`; returns the
/// id and that output. (A task may print, and even end, before the console's `run: started`
/// line: so the wait reads the output from before the command on, not after that line.)
fn run_until(vm: &mut Session, name: &str, args: &str, needle: impl Fn(i32) -> String) -> Result<(i32, String), SessionError> {
    let from = vm.transcript().len();
    let id = run(vm, name, args)?;
    wait_count(vm, from, &needle(id), 1)?;
    // Whole lines: the console's echo comes after everything printed so far.
    sync(vm, &format!("ran{id}"))?;
    Ok((id, vm.transcript()[from..].replace('\r', "")))
}

/// Runs `name` and waits for its end report; returns the report line.
fn run_to_end(vm: &mut Session, name: &str, args: &str) -> Result<String, SessionError> {
    let (id, out) = run_until(vm, name, args, |id| format!("task {id} ({name}) "))?;
    let prefix = format!("task {id} ({name}) ");
    let line = out.lines().find(|l| l.contains(&prefix)).expect("waited for it");
    Ok(line[line.find(&prefix).expect("in the line")..].to_string())
}

/// The console answers and pingpong (direct path) still serves.
fn still_serving(vm: &mut Session, after: &str) -> Result<(), SessionError> {
    let (_, out) = run_until(vm, "pingpong-client", "10", |id| format!("task {id} (pingpong-client) "))?;
    assert!(out.contains("pingpong: pingpong: 10 round trips ok"), "pingpong no longer serves after {after}:\n{out}");
    sync(vm, after).map(|_| ())
}

/// What `mem` says, as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mem {
    used_frames: i64,
    heap_mapped_kib: i64,
    heap_used_kib: i64,
    reservations: i64,
    promised: i64,
}

impl Mem {
    /// Frames in use outside the kernel heap.
    fn outside_heap(&self) -> i64 {
        self.used_frames - self.heap_mapped_kib / 4
    }
}

fn number_before(line: &str, word: &str) -> i64 {
    let words: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|w| !w.is_empty()).collect();
    let at = words.iter().position(|w| *w == word).unwrap_or_else(|| panic!("no {word:?} in {line:?}"));
    words[at - 1].parse().unwrap_or_else(|_| panic!("no number before {word:?} in {line:?}"))
}

/// `mem` once nothing is being released any more: two readings 300 ms apart that agree (a task
/// prints its end report before its thread has given back its stack).
fn settled_mem(vm: &mut Session) -> Result<Mem, SessionError> {
    let mut last = mem(vm)?;
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let now = mem(vm)?;
        if now == last {
            break;
        }
        last = now;
    }
    Ok(last)
}

fn mem(vm: &mut Session) -> Result<Mem, SessionError> {
    let out = vm.command("mem")?;
    let line = |prefix: &str| line_starting(&out, prefix).unwrap_or_else(|| panic!("no {prefix:?} line in:\n{out}")).to_string();
    let (frames, heap, reservations, tasks) = (line("frames: "), line("heap: "), line("reservations: "), line("for tasks: "));
    Ok(Mem {
        used_frames: number_before(&frames, "used"),
        heap_mapped_kib: number_before(&heap, "KiB"),
        heap_used_kib: number_before(heap.split_once("mapped").expect("heap line").1, "KiB"),
        reservations: reservations["reservations: ".len()..].split_whitespace().next().and_then(|n| n.parse().ok()).expect("count"),
        promised: tasks.split("; ").nth(1).and_then(|part| part.split_whitespace().next()?.parse().ok()).expect("promised frames"),
    })
}

/// Checks `now` against `base`: frames outside the heap, reservations and promises as before.
fn assert_back(base: Mem, now: Mem, heap_slack_kib: i64, after: &str) {
    let frames = now.outside_heap() - base.outside_heap();
    assert!((0..=TABLE_FRAMES).contains(&frames), "after {after}: {frames} more frames in use outside the heap\n{base:?}\n{now:?}");
    assert_eq!(now.reservations, base.reservations, "after {after}: reservations\n{base:?}\n{now:?}");
    assert_eq!(now.promised, base.promised, "after {after}: promised frames\n{base:?}\n{now:?}");
    let heap = now.heap_used_kib - base.heap_used_kib;
    assert!(heap <= heap_slack_kib, "after {after}: heap use grew by {heap} KiB\n{base:?}\n{now:?}");
}

/// Waits (syncing with the console) until the output since `from` holds `n` lines with `needle`.
fn wait_count(vm: &mut Session, from: usize, needle: &str, n: usize) -> Result<(), SessionError> {
    for round in 0.. {
        let count = vm.transcript()[from..].matches(needle).count();
        assert!(count <= n, "{count} lines with {needle:?}, expected {n}");
        if count == n {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        sync(vm, &format!("wait{round}"))?;
    }
    unreachable!()
}

/// `spawn 2100 NAME`: how many started before the refusal, and the command's output.
fn spawn_until_refused(vm: &mut Session, name: &str) -> Result<(usize, String), SessionError> {
    let out = vm.command(&format!("spawn 2100 {name}"))?;
    // Task reports may come before the summary line.
    let line = line_starting(&out, "spawn: started ").unwrap_or_else(|| panic!("no spawn line in {out:?}"));
    let started = line.split_whitespace().nth(2).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {line:?}"));
    Ok((started, out))
}

/// `kill NAME` for the `count` tasks of that name started, and waits for each one's report:
/// every one started is killed now or failed to start (out of memory for its instance) before.
fn kill_all(vm: &mut Session, name: &str, count: usize) -> Result<(), SessionError> {
    let failed = vm.transcript().matches(&format!("({name}) failed to start")).count();
    let from = vm.transcript().len();
    let killed = vm.command(&format!("kill {name}"))?;
    assert!(killed.contains(&format!(" {} {name} tasks", count - failed)), "{failed} failed to start:\n{killed}");
    wait_count(vm, from, &format!("({name}) killed"), count - failed)
}

#[test]
fn hostile_programs_end_only_themselves() -> Result<(), SessionError> {
    let mut vm = boot_for(300);
    vm.expect("(hello) exited")?;
    sync(&mut vm, "boot")?;
    // Warm up what stays cached (compiled modules, the heap's first growth) before the baseline.
    still_serving(&mut vm, "warm-up")?;
    let base = settled_mem(&mut vm)?;

    let cases: &[(&str, &str)] = &[
        // Grows to its 8 MiB limit, writes all of it, then `memory.fill` of 4 GiB traps.
        ("membomb", "trapped: out of bounds memory access in _start at wasm offset 0x6c (CPU vector 6); before it, memory.grow to 129 pages was refused (its limit is 128 pages)"),
        // The same with a 4 GiB limit: stopped by what the machine has left for tasks.
        ("membomb-machine", "was refused (out of memory for tasks)"),
        ("tablebomb", "failed to start: instantiation failed: resource: table of 10000000 elements: over the limit (100000 elements left)"),
        // Exits only if growth stopped exactly at its `tables = 50000`.
        ("tablegrow", "exited"),
        ("dataoverflow", "failed to start: instantiation failed: instantiation trapped: wasm trap: out of bounds memory access"),
        // A 10 MiB data segment: runs (and checks its last byte).
        ("bigdata", "exited"),
        ("traps", "trapped: call stack exhausted"),
    ];
    for (name, expected) in cases {
        let args = if *name == "traps" { "stack" } else { "" };
        let report = run_to_end(&mut vm, name, args)?;
        assert!(report.contains(expected), "{name}: expected {expected:?}, got:\n{report}");
        still_serving(&mut vm, name)?;
    }
    let refused = vm.command("run manyfuncs")?;
    assert!(refused.contains("error: run manyfuncs: module refused: 100000 functions, more than the limit of 20000"), "{refused}");
    still_serving(&mut vm, "manyfuncs")?;

    // An endless loop in `_start`, killed.
    let (id, _) = run_until(&mut vm, "spin", "", |_| "spin: spinning until killed".into())?;
    let killed = vm.command(&format!("kill {id}"))?;
    assert!(killed.contains(&format!("killed task {id} (spin)")), "{killed}");
    still_serving(&mut vm, "spin")?;

    let now = settled_mem(&mut vm)?;
    assert_back(base, now, CACHE_SLACK, "the hostile programs");
    vm.send("shutdown\n")?;
    vm.expect_exit(hayabusa_tests::Outcome::Success)
}

#[test]
fn hostile_kills_reach_tasks_anywhere() -> Result<(), SessionError> {
    let mut vm = boot_for(300);
    vm.expect("(hello) exited")?;
    sync(&mut vm, "boot")?;
    still_serving(&mut vm, "warm-up")?;

    // Inside `memory.fill`: nearly all of fillforever's time is in the builtin, filling ~460 MiB
    // per round; the kill must not wait for a fill to end (the console waits a second).
    let id = run(&mut vm, "fillforever", "")?;
    std::thread::sleep(std::time::Duration::from_secs(3));
    sync(&mut vm, "filling")?;
    // It holds all the memory tasks may have: new tasks are refused with the reason (a module
    // not compiled yet, a cached one), and the console still answers from its own reserve.
    let refused = vm.command("run traps stack")?;
    assert!(refused.contains("error: run traps: out of memory to compile it"), "{refused}");
    let refused = vm.command("run hello")?;
    assert!(refused.contains("error: run hello: out of memory"), "{refused}");
    let killed = vm.command(&format!("kill {id}"))?;
    assert!(killed.contains(&format!("killed task {id} (fillforever)")), "{killed}");
    still_serving(&mut vm, "fillforever")?;

    // Running pingpong's endless handler on the direct path: the client goes, pingpong (whose
    // handler was abandoned mid-way) is ended with its own report, and a new pingpong serves.
    let (client, _) = run_until(&mut vm, "pingpong-client", "hang pingpong", |_| "pingpong: hanging in pingpong: calling".into())?;
    let from = vm.transcript().len();
    let killed = vm.command(&format!("kill {client}"))?;
    assert!(killed.contains(&format!("killed task {client} (pingpong-client)")), "{killed}");
    let ended = format!("(pingpong) ended: its handler did not return within 20 ms after its caller, task {client}, was killed");
    wait_count(&mut vm, from, &ended, 1)?;
    let transcript = vm.transcript();
    assert!(!transcript.contains("the hanging call returned"), "the hanging call must never return:\n{transcript}");
    run(&mut vm, "pingpong", "")?;
    sync(&mut vm, "restarted")?;
    still_serving(&mut vm, "the abandoned handler")?;

    // Waiting for pingpong-switch, whose own thread loops in its handler: the client goes at
    // once, the server keeps looping until it is killed itself.
    let (client, _) =
        run_until(&mut vm, "pingpong-client", "hang pingpong-switch", |_| "pingpong: hanging in pingpong-switch: calling".into())?;
    let killed = vm.command(&format!("kill {client}"))?;
    assert!(killed.contains(&format!("killed task {client} (pingpong-client)")), "{killed}");
    let ps = vm.command("ps")?;
    let server = ps
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("pingpong-switch"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("pingpong-switch is gone:\n{ps}"))
        .to_string();
    let killed = vm.command(&format!("kill {server}"))?;
    assert!(killed.contains(&format!("killed task {server} (pingpong-switch)")), "{killed}");
    still_serving(&mut vm, "the switch-path loop")?;
    vm.send("shutdown\n")?;
    vm.expect_exit(hayabusa_tests::Outcome::Success)
}

#[test]
fn hostile_many_tasks_up_to_the_limits() -> Result<(), SessionError> {
    let mut vm = boot_for(600);
    vm.expect("(hello) exited")?;
    sync(&mut vm, "boot")?;
    still_serving(&mut vm, "warm-up")?;
    let base = settled_mem(&mut vm)?;

    // Small tasks: the task limit (2048, five of them boot tasks and ours) stops them first.
    let (started, out) = spawn_until_refused(&mut vm, "sleeper")?;
    assert!(started >= 1000, "only {started} small tasks started:\n{out}");
    assert!(out.contains("then refused: 2048 tasks are running already (the limit)"), "{out}");
    // A refusal, cleanly, for anything else meanwhile; the console still answers.
    let refused = vm.command("run hello")?;
    assert!(refused.contains("error: run hello: 2048 tasks are running already"), "{refused}");
    kill_all(&mut vm, "sleeper", started)?;
    still_serving(&mut vm, "2000 tasks")?;

    // Tasks with 1 MiB stacks: memory runs out first, and says so.
    let (started, out) = spawn_until_refused(&mut vm, "sleeper-big")?;
    assert!(started >= 300, "only {started} tasks with 1 MiB stacks:\n{out}");
    assert!(out.contains("then refused: out of memory for the task's thread and stack"), "{out}");
    sync(&mut vm, "full")?;
    kill_all(&mut vm, "sleeper-big", started)?;
    still_serving(&mut vm, "memory full of tasks")?;

    let now = settled_mem(&mut vm)?;
    assert_back(base, now, HEAP_SLACK, "2000 tasks at once");
    vm.send("shutdown\n")?;
    vm.expect_exit(hayabusa_tests::Outcome::Success)
}

/// Rounds of spawn / trap / kill: `HAYABUSA_SOAK_ROUNDS` (default 4) rounds of 252 tasks after
/// a warm-up round, so 1,008 task lives by default.
#[test]
fn hostile_spawn_trap_kill_cycles_return_everything() -> Result<(), SessionError> {
    let rounds: usize = std::env::var("HAYABUSA_SOAK_ROUNDS").ok().map_or(4, |s| s.parse().expect("HAYABUSA_SOAK_ROUNDS: a count"));
    let mut vm = boot_for(120 + 60 * rounds as u64);
    vm.expect("(hello) exited")?;
    sync(&mut vm, "boot")?;
    // Each kind of task: (spawn arguments, its end report); EACH of each per round.
    let kinds: &[(&str, &str)] = &[
        ("traps div-zero", "(traps) trapped: integer divide by zero"),
        ("traps memory", "(traps) trapped: out of bounds memory access"),
        ("hello", "(hello) exited"),
        ("dataoverflow", "(dataoverflow) failed to start: instantiation failed"),
        ("tablebomb", "(tablebomb) failed to start: instantiation failed"),
    ];
    const EACH: usize = 42;
    let mut base = None;
    // Round 0 warms up (compiles each module once, grows the heap); the baseline is taken after.
    for round in 0..=rounds {
        let from = vm.transcript().len();
        for (args, _) in kinds {
            let out = vm.command(&format!("spawn {EACH} {args}"))?;
            assert!(out.contains(&format!("spawn: started {EACH} ")), "{out}");
        }
        let out = vm.command(&format!("spawn {EACH} spin"))?;
        assert!(out.contains(&format!("spawn: started {EACH} spin")), "{out}");
        for (_, report) in kinds {
            wait_count(&mut vm, from, report, EACH)?;
        }
        let killed = vm.command("kill spin")?;
        assert!(killed.contains(&format!("killed {EACH} spin tasks")), "{killed}");
        still_serving(&mut vm, &format!("round {round}"))?;
        let now = settled_mem(&mut vm)?;
        match base {
            None => base = Some(now),
            Some(base) => assert_back(base, now, 0, &format!("round {round} ({} tasks)", round * EACH * (kinds.len() + 1))),
        }
    }
    vm.send("shutdown\n")?;
    vm.expect_exit(hayabusa_tests::Outcome::Success)
}

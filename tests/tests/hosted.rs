//! The same program files on two systems: every scenario below runs in the kernel (QEMU) and on
//! the hosted runner (Linux threads, `hosted/`), and each prints the same there as here — the
//! task's own output, its end report (exit, trap kind and place, kill), and the console's errors.
//! The task layer is one crate on both (`kernel/tasks`); what differs below it (threads, traps
//! from CPU exceptions or signals, cancelling: timer ticks or signal pokes, and the grace a
//! killed caller's server handler gets) must not show. Also: the runner as a benchmark producer,
//! and the task layer under real parallelism (Linux runs its threads on both CPUs).

use hayabusa_tests::{Outcome, PROMPT, Session, SessionError, boot, hosted, hosted_runner, run};

/// (task, args) in the order run. Each ends by itself, except where a kill follows (`spin`).
const SCENARIOS: &[(&str, &str)] = &[
    ("hello", ""),
    ("hello-c", ""),
    ("traps", "unreachable"),
    ("traps", "div-zero"),
    ("traps", "overflow"),
    ("traps", "conversion"),
    ("traps", "memory"),
    ("traps", "table"),
    ("traps", "undefined-element"),
    ("traps", "null-call"),
    ("traps", "type-mismatch"),
    ("traps", "stack"),
    ("denied", ""),
    ("badcalls", ""),
    ("deepcall", ""),
    ("pingpong-client", "2000"),
    ("notes", ""),
    ("membomb", ""),
    ("tablebomb", ""),
    ("tablegrow", ""),
    ("dataoverflow", ""),
    ("outside", ""),
];

/// Commands refused by the console, and the scenario that ends by `kill`.
const REFUSED: &[&str] = &["run manyfuncs", "run garbage", "run nosuchtask", "kill 999", "frobnicate"];

/// The lines of `text` that say what a task or the console did: prompts stripped (task output
/// may land right after one), the typed command, `run: started` (printed while the task may
/// already be talking), log lines and blank lines left out, and timings (`, N ns each`) cut.
fn said(text: &str, command: &str) -> Vec<String> {
    text.replace('\r', "")
        .lines()
        .map(|l| {
            let mut l = l;
            while let Some(rest) = l.strip_prefix(PROMPT) {
                l = rest;
            }
            let l = l.trim_end();
            match l.rsplit_once(", ") {
                Some((head, tail)) if tail.ends_with(" ns each") => head.to_string(),
                _ => l.to_string(),
            }
        })
        .filter(|l| !l.is_empty() && l != command && !l.starts_with("run: started") && !l.starts_with('['))
        .collect()
}

/// Waits until the output since byte `from` holds every one of `needles` (in any order),
/// consuming nothing; a timeout fails as `expect` does.
fn wait_for_all(vm: &mut Session, from: usize, needles: &[&str]) -> Result<(), SessionError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = vm.transcript()[from..].to_string();
        match needles.iter().find(|n| !text.contains(**n)) {
            None => return Ok(()),
            Some(missing) if std::time::Instant::now() >= deadline => return vm.expect(missing).map(|_| ()),
            Some(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
}

/// Runs one scenario to its end report; what it said.
fn scenario(vm: &mut Session, name: &str, args: &str) -> Result<Vec<String>, SessionError> {
    let id = run(vm, name, args)?;
    let mut text = vm.expect(&format!("task {id} ({name}) "))?;
    text += &vm.expect("\n")?;
    Ok(said(&text, format!("run {name} {args}").trim_end()))
}

/// Everything one system says over all scenarios, one entry per scenario.
fn session(vm: &mut Session) -> Result<Vec<Vec<String>>, SessionError> {
    vm.expect("(hello) exited")?;
    vm.expect_prompt()?;
    let mut all = Vec::new();
    for (name, args) in SCENARIOS {
        all.push(scenario(vm, name, args)?);
    }
    for command in REFUSED {
        all.push(said(&vm.command(command)?, command));
    }
    // A task that never ends by itself, killed: everything from `run` to the kill's answer and
    // the task's report, in whatever order the two systems print them.
    let from = vm.transcript().len();
    let id = run(vm, "spin", "")?;
    vm.expect("spin: spinning until killed")?;
    vm.send(&format!("kill {id}\n"))?;
    vm.expect(&format!("killed task {id} (spin)"))?;
    vm.expect_prompt()?;
    let text = vm.transcript()[from..].to_string();
    let mut lines: Vec<String> = said(&text, "run spin").into_iter().filter(|l| *l != format!("kill {id}")).collect();
    lines.sort();
    all.push(lines);
    // A caller killed while it runs pingpong's endless handler on the direct path: the client
    // goes, and pingpong, whose handler is abandoned after its grace, ends with its own report.
    let from = vm.transcript().len();
    let client = run(vm, "pingpong-client", "hang pingpong")?;
    vm.expect("pingpong: hanging in pingpong: calling")?;
    vm.send(&format!("kill {client}\n"))?;
    // The kill's answer and the server's report come from two threads, in either order.
    wait_for_all(vm, from, &[&format!("after its caller, task {client}, was killed"), &format!("killed task {client} (pingpong-client)")])?;
    vm.expect(&format!("killed task {client} (pingpong-client)"))?;
    vm.expect_prompt()?;
    let text = vm.transcript()[from..].to_string();
    let mut lines: Vec<String> = said(&text, "run pingpong-client hang pingpong").into_iter().filter(|l| *l != format!("kill {client}")).collect();
    lines.sort();
    all.push(lines);
    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)?;
    Ok(all)
}

#[test]
fn the_same_programs_say_the_same_in_the_kernel_and_on_linux() -> Result<(), SessionError> {
    let kernel = session(&mut boot())?;
    let linux = session(&mut hosted())?;
    let runs = SCENARIOS.len() + REFUSED.len() + 2;
    assert_eq!((kernel.len(), linux.len()), (runs, runs), "every scenario must have run on both");
    let commands = SCENARIOS.iter().map(|(n, a)| format!("run {n} {a}")).chain(REFUSED.iter().map(|c| c.to_string())).chain(["spin, kill".into(), "hang pingpong, kill the caller".into()]);
    let mut differ = Vec::new();
    for ((command, k), l) in commands.zip(&kernel).zip(&linux) {
        if k != l {
            differ.push(format!("{command}\n  kernel: {k:?}\n  linux:  {l:?}"));
        }
    }
    assert!(differ.is_empty(), "the two systems differ:\n{}", differ.join("\n"));
    // Not vacuous: what the scenarios must have said.
    let all: Vec<&String> = linux.iter().flatten().collect();
    let expected = [
        "hello from wasm",
        "trapped: integer divide by zero",
        "trapped: call stack exhausted",
        "round trips ok",
        "killed",
        "error: unknown command",
        "(pingpong) ended: its handler did not return within 20 ms",
    ];
    for expected in expected {
        assert!(all.iter().any(|l| l.contains(expected)), "no {expected:?} in:\n{all:#?}");
    }
    Ok(())
}

/// The runner as a producer of `cargo xtask bench ipc --host`: a short run writes Hayabusa's
/// eight rows in the row format, each with a median and a p99.
#[test]
fn the_hosted_runner_measures_ipc_as_a_bench_producer() {
    let (runner, ramdisk) = hosted_runner();
    let rows = std::env::temp_dir().join(format!("hayabusa-bench-rows-{}.tsv", std::process::id()));
    let out = std::process::Command::new(runner)
        .arg("--programs")
        .arg(ramdisk)
        .args(["--rounds", "64", "--cpus", "1", "--rows"])
        .arg(&rows)
        .output()
        .expect("the runner runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&rows).expect("rows written");
    let _ = std::fs::remove_file(&rows);
    let rows: Vec<Vec<&str>> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 8, "{text}");
    for row in &rows {
        assert_eq!((row.len(), row[0], row[1], row[8]), (9, "one CPU", "Hayabusa", "measured"), "{row:?}");
        let median: f64 = row[4].parse().unwrap_or_else(|_| panic!("median of {row:?}"));
        let p99: f64 = row[5].parse().unwrap_or_else(|_| panic!("p99 of {row:?}"));
        assert!(median > 0.0 && p99 >= median, "{row:?}");
    }
    for (what, payload) in [("direct path", "0"), ("direct path", "1024"), ("switch path", "64"), ("plain call", "-"), ("handler alone", "0")] {
        assert!(rows.iter().any(|r| r[2].starts_with(what) && r[3] == payload), "no {what} row at {payload}:\n{text}");
    }
    // The same report the console prints, with its table.
    assert!(stdout.contains("bench ipc: switch/direct (medians)"), "{stdout}");
}

/// The task layer on several CPUs: on Linux its threads really run in parallel (the kernel has
/// one CPU so far). Two IPC fuzzers and three pingpong clients at once, on both paths; every
/// one finishes with its checks passed, and the servers still answer afterwards.
#[test]
fn the_task_layer_holds_on_several_cpus() -> Result<(), SessionError> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(cpus >= 2, "this test needs two CPUs to mean anything; the machine has {cpus}");
    let mut vm = hosted();
    vm.expect("(hello) exited")?;
    vm.expect_prompt()?;
    let from = vm.transcript().len();
    let fuzzers: Vec<i32> = (0..2).map(|_| run(&mut vm, "ipcfuzz", "")).collect::<Result<_, _>>()?;
    let clients: Vec<i32> = (0..3).map(|_| run(&mut vm, "pingpong-client", "20000")).collect::<Result<_, _>>()?;
    let ended: Vec<String> = fuzzers
        .iter()
        .map(|id| format!("task {id} (ipcfuzz) exited"))
        .chain(clients.iter().map(|id| format!("task {id} (pingpong-client) exited")))
        .collect();
    wait_for_all(&mut vm, from, &ended.iter().map(String::as_str).collect::<Vec<_>>())?;
    let out = vm.transcript()[from..].to_string();
    assert_eq!(out.matches("memory outside the arena untouched; pingpong servers answer").count(), 2, "{out}");
    for service in ["pingpong", "pingpong-switch"] {
        assert_eq!(out.matches(&format!("pingpong: {service}: 20000 round trips ok")).count(), 3, "{out}");
    }
    assert!(!out.contains("trapped") && !out.contains("FAILED"), "{out}");
    let after = run(&mut vm, "pingpong-client", "100")?;
    vm.expect(&format!("task {after} (pingpong-client) exited"))?;
    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

//! Tasks and IPC, in one boot: the boot tasks start in manifest order (`hello` prints through
//! the console service), `pingpong` completes 100,000 checked round trips on each path and
//! serves three clients at once, a spinning task is killed while pingpong keeps going, every trap kind ends only its task with
//! the right report, permission errors and malformed requests get their errors, a server that
//! traps mid-call fails the call with PEER_DIED and a restarted server is reached again, and
//! `bench ipc` prints its table. (The C module runs in `programs.rs`.)
//!
//! Task output arrives asynchronously (from the tasks' threads), so the test waits for the lines
//! it needs with `expect`, and resynchronises with the console through `echo` before running a
//! command whose output it parses.

use hayabusa_tests::{Outcome, SessionError, boot, line_starting, run, sync};

/// The `services` row of `service`: (task, direct calls, switch calls).
fn service_row(services: &str, service: &str) -> Option<(i32, u64, u64)> {
    let row = line_starting(services, &format!("{service} "))?;
    let cols: Vec<&str> = row.split_whitespace().collect();
    Some((cols[1].parse().ok()?, cols[4].parse().ok()?, cols[5].parse().ok()?))
}

/// (argument, report message, function the report names) for each trap kind of `traps`.
const TRAPS: &[(&str, &str, &str)] = &[
    ("unreachable", "unreachable", "trap_unreachable"),
    ("div-zero", "integer divide by zero", "trap_div_zero"),
    ("overflow", "integer overflow", "trap_overflow"),
    ("conversion", "invalid conversion to integer", "trap_conversion"),
    ("memory", "out of bounds memory access", "trap_memory"),
    ("table", "out of bounds table access", "trap_table"),
    ("undefined-element", "undefined element", "trap_undefined_element"),
    ("null-call", "uninitialized element", "trap_null_call"),
    ("type-mismatch", "indirect call type mismatch", "type_mismatch"),
    ("stack", "call stack exhausted", "recurse"),
];

#[test]
fn tasks_and_ipc() -> Result<(), SessionError> {
    let mut vm = boot();
    // Boot order: the console service first, then hello, which prints through it.
    let boot_log = vm.expect("hello from wasm")?;
    let console_started = boot_log.find("task 2 (console) started").unwrap_or_else(|| panic!("console not task 2:\n{boot_log}"));
    let hello_started = boot_log.find("(hello) started").unwrap_or_else(|| panic!("hello not started:\n{boot_log}"));
    assert!(console_started < hello_started, "console must start before hello:\n{boot_log}");
    vm.expect("(hello) exited")?;
    sync(&mut vm, "boot")?;
    let services = vm.command("services")?;
    for service in ["console", "pingpong", "pingpong-switch"] {
        assert!(service_row(&services, service).is_some(), "{service} not registered:\n{services}");
    }
    let ps = vm.command("ps")?;
    for task in ["console", "pingpong", "pingpong-switch"] {
        let row = ps.lines().find(|l| l.split_whitespace().nth(1) == Some(task)).unwrap_or_else(|| panic!("{task} not in ps:\n{ps}"));
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[2], "recv", "{task} should wait in ipc_recv:\n{ps}");
        let (pages, code): (u64, u64) = (cols[3].parse().unwrap(), cols[4].parse().unwrap());
        assert!(pages >= 1 && code > 1000, "{task}: memory pages and code size expected:\n{ps}");
    }

    // 100,000 checked round trips on each path; `services` proves which path served them.
    let id = run(&mut vm, "pingpong-client", "100000")?;
    vm.expect("pingpong: pingpong: 100000 round trips ok")?;
    vm.expect("pingpong: pingpong-switch: 100000 round trips ok")?;
    vm.expect(&format!("task {id} (pingpong-client) exited"))?;
    sync(&mut vm, "pingpong")?;
    let services = vm.command("services")?;
    let (_, direct, switch) = service_row(&services, "pingpong").expect("pingpong registered");
    assert!(direct >= 100_000 && switch == 0, "pingpong should be served on the direct path:\n{services}");
    let (_, direct, switch) = service_row(&services, "pingpong-switch").expect("pingpong-switch registered");
    assert!(direct == 0 && switch >= 100_000, "pingpong-switch should be served on the switch path:\n{services}");

    // Three clients at once: a server runs one call at a time (its handler's buffer guard would
    // answer BUSY otherwise), a caller that finds it busy waits its turn on the switch path.
    let start = vm.transcript().len();
    let clients: Vec<i32> = (0..3).map(|_| run(&mut vm, "pingpong-client", "5000")).collect::<Result<_, _>>()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let out = vm.transcript()[start..].to_string();
        if clients.iter().all(|id| out.contains(&format!("task {id} (pingpong-client) exited"))) {
            for service in ["pingpong", "pingpong-switch"] {
                let ok = format!("pingpong: {service}: 5000 round trips ok");
                assert_eq!(out.matches(&ok).count(), 3, "three clients of {service} should succeed:\n{out}");
            }
            assert!(!out.contains("FAILED") && !out.contains("exited with code"), "{out}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "concurrent clients did not finish:\n{out}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    sync(&mut vm, "concurrent")?;

    // A task in an endless loop is preempted, and killed while pingpong keeps going.
    let spin = run(&mut vm, "spin", "")?;
    vm.expect("spin: spinning until killed")?;
    let start = vm.transcript().len();
    let client = run(&mut vm, "pingpong-client", "50000")?;
    std::thread::sleep(std::time::Duration::from_millis(1000));
    vm.send(&format!("kill {spin}\n"))?;
    vm.expect(&format!("killed task {spin} (spin)"))?;
    vm.expect(&format!("task {client} (pingpong-client) exited"))?;
    let out = vm.transcript()[start..].to_string();
    let killed = out.find(&format!("task {spin} (spin) killed")).expect("kill report");
    let switch_done = out.find("pingpong: pingpong-switch: 50000 round trips ok").unwrap_or_else(|| panic!("{out}"));
    assert!(killed < switch_done, "pingpong finished before the kill; the test proves nothing:\n{out}");
    assert!(out.contains("pingpong: pingpong: 50000 round trips ok") && !out.contains("exited with code"), "{out}");
    sync(&mut vm, "spin")?;
    let ps = vm.command("ps")?;
    assert!(!ps.lines().any(|l| l.split_whitespace().nth(1) == Some("spin")), "spin still listed:\n{ps}");
    let again = vm.command(&format!("kill {spin}"))?;
    assert!(again.contains(&format!("error: no task {spin}")), "{again}");

    // Each trap kind ends only its task, with a report naming task, kind, function and offset.
    for (arg, message, func) in TRAPS {
        let id = run(&mut vm, "traps", arg)?;
        let report = vm.expect(&format!("task {id} (traps) trapped: {message} in "))?;
        assert!(!report.contains("traps: FAILED"), "{report}");
        let rest = vm.expect(" at wasm offset 0x")?;
        assert!(rest.contains(func), "trap {arg}: report should name {func}: {rest}");
    }
    sync(&mut vm, "traps")?;
    let services = vm.command("services")?;
    for service in ["console", "pingpong", "pingpong-switch"] {
        assert!(service_row(&services, service).is_some(), "{service} died with the traps:\n{services}");
    }
    run(&mut vm, "hello", "")?;
    vm.expect("hello from wasm")?;

    // A client that calls console and pingpong at every level of a recursion down to its own
    // stack limit: the handlers run on their servers' own stacks, so every call is answered and
    // only the client ends, by its own stack exhaustion; both servers serve others afterwards.
    let services = vm.command("services")?;
    let (_, direct_before, switch_before) = service_row(&services, "pingpong").expect("pingpong registered");
    let id = run(&mut vm, "deepcall", "")?;
    let out = vm.expect(&format!("task {id} (deepcall) trapped: call stack exhausted in "))?;
    assert!(!out.contains("FAILED") && !out.contains("(console) trapped") && !out.contains("(pingpong) trapped"), "{out}");
    sync(&mut vm, "deepcall")?;
    let services = vm.command("services")?;
    let (_, deep_direct, deep_switch) = service_row(&services, "pingpong").expect("pingpong survives deepcall");
    assert!(service_row(&services, "console").is_some(), "console died:\n{services}");
    // Thousands of levels, each answered on the direct path (its handler on its own stack).
    assert!(deep_direct >= direct_before + 1000 && deep_switch == switch_before, "deepcall's calls should be direct:\n{services}");
    run(&mut vm, "hello", "")?;
    vm.expect("hello from wasm")?;
    let id = run(&mut vm, "pingpong-client", "100")?;
    vm.expect("pingpong: pingpong: 100 round trips ok")?;
    vm.expect(&format!("task {id} (pingpong-client) exited"))?;
    sync(&mut vm, "after-deepcall")?;
    let services = vm.command("services")?;
    let (_, direct_after, _) = service_row(&services, "pingpong").expect("pingpong registered");
    assert!(direct_after >= deep_direct + 100, "pingpong should still serve on the direct path:\n{services}");

    // Permissions and malformed requests: errors, never a fault.
    let id = run(&mut vm, "denied", "")?;
    let out = vm.expect(&format!("task {id} (denied) exited"))?;
    assert!(out.contains("lookup(\"pingpong\") -> DENIED") && out.contains("every attempt refused"), "{out}");
    assert!(!out.contains("FAILED") && !out.contains("exited with code"), "{out}");
    let id = run(&mut vm, "badcalls", "")?;
    let out = vm.expect(&format!("task {id} (badcalls) exited"))?;
    assert!(out.contains("call(console, buffer outside memory) -> BAD_POINTER"), "{out}");
    assert!(out.contains("badcalls: every bad request refused with its error"), "{out}");
    assert!(!out.contains("FAILED") && !out.contains("exited with code"), "{out}");

    // A server cannot speak for the kernel: an answer with PEER_DIED reaches its caller as
    // BAD_REPLY, on both paths, and the server goes on serving.
    let id = run(&mut vm, "pingpong-client", "forge")?;
    let out = vm.expect(&format!("task {id} (pingpong-client) exited"))?;
    for service in ["pingpong", "pingpong-switch"] {
        let line = format!("pingpong: {service}: forged PEER_DIED -> BAD_REPLY (-12), then PING ok");
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains("exited with code"), "{out}");
    sync(&mut vm, "forge")?;

    // Servers that trap mid-call: the caller gets PEER_DIED on both paths, the names are freed.
    let id = run(&mut vm, "pingpong-client", "crash")?;
    let out = vm.expect(&format!("task {id} (pingpong-client) exited"))?;
    for service in ["pingpong", "pingpong-switch"] {
        let line = format!("pingpong: {service}: crash call -> PEER_DIED (-8), then lookup -> NOT_FOUND (-4)");
        assert!(out.contains(&line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains("exited with code"), "{out}");
    sync(&mut vm, "crash")?;
    let transcript = vm.transcript();
    for task in ["pingpong", "pingpong-switch"] {
        let report = format!("({task}) trapped: unreachable in pingpong_server::handle at wasm offset 0x");
        assert!(transcript.contains(&report), "no trap report for {task}");
    }
    let services = vm.command("services")?;
    assert!(service_row(&services, "pingpong").is_none() && service_row(&services, "console").is_some(), "{services}");

    // Restarted servers register the names again, and clients reach them.
    for server in ["pingpong", "pingpong-switch"] {
        run(&mut vm, server, "")?;
    }
    let mut registered = false;
    for attempt in 0..20 {
        let services = sync(&mut vm, &format!("restart{attempt}")).and_then(|_| vm.command("services"))?;
        registered = service_row(&services, "pingpong").is_some() && service_row(&services, "pingpong-switch").is_some();
        if registered {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert!(registered, "restarted servers did not register");
    let id = run(&mut vm, "pingpong-client", "300")?;
    vm.expect("pingpong: pingpong: 300 round trips ok")?;
    vm.expect("pingpong: pingpong-switch: 300 round trips ok")?;
    vm.expect(&format!("task {id} (pingpong-client) exited"))?;
    sync(&mut vm, "restart")?;

    // A handler that exhausts its own stack ends its server, as any trap in a handler does.
    let id = run(&mut vm, "deepcall", "server-recurse")?;
    let out = vm.expect(&format!("task {id} (deepcall) exited"))?;
    assert!(out.contains("deepcall: RECURSE -> PEER_DIED (-8)") && !out.contains("exited with code"), "{out}");
    let report = vm.expect("(pingpong) trapped: call stack exhausted in ")?;
    assert!(!report.contains("(console) trapped"), "{report}");
    sync(&mut vm, "server-recurse")?;

    // The benchmark: both paths, three payload sizes, medians, p99, ratio.
    let bench = vm.command("bench ipc 200")?;
    for path in ["direct", "switch"] {
        for size in [0, 64, 1024] {
            let row = bench
                .lines()
                .find(|l| l.starts_with(path) && l.split_whitespace().nth(1) == Some(&size.to_string()))
                .unwrap_or_else(|| panic!("no {path} {size} B row in:\n{bench}"));
            let cols: Vec<u64> = row.split_whitespace().skip(3).filter_map(|c| c.parse().ok()).collect();
            assert_eq!(cols.len(), 5, "{row}");
            assert!(cols[0] > 0 && cols[0] <= cols[1], "median and p99 in cycles: {row}");
            // 200 round trips, in whole batches of 16.
            assert_eq!(cols[4], 208, "208 calls measured: {row}");
        }
    }
    assert!(bench.contains("bench ipc: switch/direct (medians): 0 B "), "{bench}");
    assert!(bench.contains("bench ipc: plain kernel -> Wasm call"), "{bench}");
    assert!(bench.contains("bench ipc: timer floor"), "{bench}");
    assert!(bench.contains("bench ipc: handler alone"), "{bench}");
    // Printed only when both kernel -> Wasm floors ran (a refused call would leave them empty).
    assert!(bench.contains("bench ipc: direct 0 B round trip = "), "{bench}");
    assert!(!bench.contains("FAILED"), "{bench}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

//! One boot through the memory and scheduling self-tests: lazy reservations (`vmtest`),
//! preemption with per-thread XMM state (`threads`), and a thread spinning forever that the
//! console outlives and kills (`spin`, `ps`, `killthread`).

use hayabusa_tests::{Outcome, SessionError, boot, line_starting};

/// The id in `spin: started thread N`.
fn spawned_id(out: &str) -> u64 {
    let line = line_starting(out, "spin: started thread ").unwrap_or_else(|| panic!("no spawn line in:\n{out}"));
    line.trim_start_matches("spin: started thread ").trim().parse().unwrap_or_else(|_| panic!("bad id in {line:?}"))
}

/// Whether `ps` output lists a live thread with this id and name.
fn ps_lists(ps: &str, id: u64, name: &str) -> bool {
    ps.lines().any(|l| {
        let mut cols = l.split_whitespace();
        cols.next() == Some(&id.to_string()) && cols.next() == Some(name)
    })
}

#[test]
fn memory_and_threads() -> Result<(), SessionError> {
    let mut vm = boot();
    vm.expect_prompt()?;

    let vm_out = vm.command("vmtest")?;
    assert!(line_starting(&vm_out, "vmtest: ok").is_some(), "{vm_out}");
    assert!(vm_out.contains("3 pages mapped on touch") && vm_out.contains("all frames returned"), "{vm_out}");

    let threads = vm.command("threads")?;
    assert!(line_starting(&threads, "threads: ok").is_some(), "{threads}");
    assert!(threads.contains("XMM state preserved"), "{threads}");

    let id = spawned_id(&vm.command("spin")?);
    // The spinning thread never yields; the console only answers because the timer preempts it.
    let before = vm.command("uptime")?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    let after = vm.command("uptime")?;
    assert!(before != after, "uptime did not move while spin ran:\n{before}\n{after}");
    let ps = vm.command("ps")?;
    assert!(ps_lists(&ps, id, "spin"), "spin thread {id} not in ps:\n{ps}");
    let killed = vm.command(&format!("killthread {id}"))?;
    assert!(killed.contains(&format!("killed thread {id}")), "{killed}");
    let ps = vm.command("ps")?;
    assert!(!ps_lists(&ps, id, "spin"), "spin thread {id} still listed after kill:\n{ps}");
    let again = vm.command(&format!("killthread {id}"))?;
    assert!(again.contains(&format!("error: no thread {id}")), "{again}");
    let protected = vm.command("killthread 0")?;
    assert!(protected.contains("cannot be killed"), "{protected}");

    // Memory is still sound after all that.
    let heap = vm.command("heaptest")?;
    assert!(line_starting(&heap, "heaptest: ok").is_some(), "{heap}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

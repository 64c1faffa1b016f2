//! One boot through the whole console: banner and boot log, then every command, then `shutdown`.

#![forbid(unsafe_code)]

use hayabusa_tests::{Outcome, SessionError, boot, line_starting};

/// Unwraps a `line_starting` result with the command output in the failure message.
fn line<'a>(output: &'a str, prefix: &str) -> &'a str {
    line_starting(output, prefix).unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{output}"))
}

/// The tick count of an `uptime: <ms> ms, <ticks> ticks ...` line.
fn ticks(uptime: &str) -> u64 {
    let line = line(uptime, "uptime: ");
    let count = line.split(',').find_map(|part| part.trim().strip_suffix("ticks").or_else(|| {
        part.split_once(" ticks").map(|(n, _)| n)
    }));
    count.and_then(|n| n.trim().parse().ok()).unwrap_or_else(|| panic!("no tick count in {line:?}"))
}

#[test]
fn console_session() -> Result<(), SessionError> {
    let mut vm = boot();
    let boot_log = vm.expect_prompt()?;
    let banner = boot_log.find("Hayabusa ").map(|at| &boot_log[at..]).unwrap_or_else(|| panic!("no banner in:\n{boot_log}"));
    assert!(line_starting(banner, "Hayabusa ").is_some(), "banner not at a line start:\n{boot_log}");
    assert!(banner.lines().any(|l| l.starts_with('[') && l.contains("] ")), "no timestamped log line:\n{banner}");
    assert!(line_starting(banner, "memory: ").is_some(), "no memory summary:\n{banner}");
    let boot_time = line(banner, "boot: kernel entry to prompt in ");
    assert!(boot_time.ends_with(" ms"), "{boot_time}");
    eprintln!("{boot_time} (QEMU start to prompt: {:.1} s)", vm.elapsed().as_secs_f64());

    let help = vm.command("help")?;
    for command in ["mem", "uptime", "cpu", "shutdown"] {
        assert!(help.contains(command), "help does not list {command}:\n{help}");
    }

    let mem = vm.command("mem")?;
    let frames = line(&mem, "frames:");
    assert!(frames.contains("free") && frames.contains("used"), "{frames}");
    let heap = line(&mem, "heap:");
    assert!(heap.contains("free") && heap.contains("used"), "{heap}");

    let first = ticks(&vm.command("uptime")?);
    vm.command("heaptest").map(|out| assert!(line_starting(&out, "heaptest: ok").is_some(), "{out}"))?;
    let cpu = vm.command("cpu")?;
    for prefix in ["vendor:", "model:", "features:"] {
        line(&cpu, prefix);
    }
    std::thread::sleep(std::time::Duration::from_millis(300)); // ≥ 30 ticks at 100 Hz
    let second = ticks(&vm.command("uptime")?);
    assert!(second > first, "timer ticks did not advance: {first} then {second}");

    // The ramdisk's programs: the manifest parsed at boot, every module present and valid —
    // except `garbage`, the malformed fixture `cargo xtask test` adds (tests/tests/programs.rs).
    let programs = vm.command("programs")?;
    for task in ["console", "hello", "pingpong", "pingpong-switch", "pingpong-client", "traps", "spin", "denied", "badcalls"] {
        let row = line_starting(&programs, &format!("{task} ")).unwrap_or_else(|| panic!("no {task} in:\n{programs}"));
        assert!(row.ends_with(" valid"), "{task} is not a valid module:\n{programs}");
    }
    let mut others = programs.lines().filter(|row| !row.trim_start().starts_with("garbage "));
    assert!(others.all(|row| !row.contains("invalid") && !row.contains("missing")), "{programs}");

    let unknown = vm.command("frobnicate")?;
    assert!(unknown.contains("error: unknown command 'frobnicate'"), "{unknown}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

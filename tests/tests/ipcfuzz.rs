//! The IPC fuzzer (`examples/ipcfuzz`) in one boot: 100,000 random calls — random task ids,
//! message addresses inside its arena, straddling the end of its memory and past it, random
//! lengths, flags and kinds, malformed lookups, replies and receives — against the kernel and
//! every service, with two seeds. No call faults the kernel or hangs; the fuzzer's memory outside
//! its arena is untouched; both pingpong servers answer afterwards, the console prints its
//! summary, and `echo` and `hello` still work. Longer runs: `run ipcfuzz N SEED` at the console.

use hayabusa_tests::{Outcome, SessionError, boot};

#[test]
fn ipc_fuzzer_harms_nothing() -> Result<(), SessionError> {
    let mut vm = boot();
    vm.expect("hello from wasm")?;
    vm.expect_prompt()?;
    for (calls, seed) in [(60_000, 1), (40_000, 0xdead_beef_u64)] {
        vm.send(&format!("run ipcfuzz {calls} {seed}\n"))?;
        let text = vm.expect(" (ipcfuzz)")?;
        let id: i32 = text
            .rsplit_once("run: started task ")
            .and_then(|(_, l)| l.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("ipcfuzz did not start:\n{text}"));
        let out = vm.expect(&format!("task {id} (ipcfuzz) exited"))?;
        let summary = format!("ipcfuzz: {calls} calls; statuses:");
        assert!(out.contains(&summary), "no summary in:\n{out}");
        assert!(out.contains("memory outside the arena untouched") && out.contains("pingpong servers answer"), "{out}");
        assert!(!out.contains("FAILED") && !out.contains("exited with code") && !out.contains("trapped"), "{out}");
    }
    let echo = vm.command("echo still-here")?;
    assert!(echo.contains("echo: still-here"), "{echo}");
    vm.send("run hello\n")?;
    vm.expect("hello from wasm")?;
    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

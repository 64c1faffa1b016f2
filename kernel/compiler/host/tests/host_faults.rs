//! A fault outside compiled code is not turned into a trap: the process dies as it would
//! without our handlers (checked in a child process).

mod common;
use common::*;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

const CHILD: &str = "HAYABUSA_HOST_FAULT_CHILD";

#[test]
fn fault_outside_wasm_still_kills_the_process() {
    if std::env::var_os(CHILD).is_some() {
        // Install the handlers by running some Wasm, then fault in host code.
        let i = instantiate("(module (func (export \"f\")))");
        call(&i, "f", &[]).unwrap();
        let p = std::hint::black_box(std::ptr::null::<u64>());
        // SAFETY: deliberately invalid: this child process must die of SIGSEGV here.
        let v = unsafe { std::ptr::read_volatile(p) };
        println!("unreachable: read {v}");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--exact", "fault_outside_wasm_still_kills_the_process", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(libc_sigsegv()), "child status {:?}", out.status);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("unreachable: read"));
}

fn libc_sigsegv() -> i32 {
    11
}

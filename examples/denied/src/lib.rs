//! denied: tries what its manifest entry (`reach = console` only) does not allow, prints each
//! permission error, and exits 0 only if every attempt was refused.

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::device::Device;
use hayabusa_abi::console::Line;
use hayabusa_abi::{Error, Message, TaskId, call, kernel, lookup, names};

hayabusa_abi::main!(main);

/// Task ids tried by guessing, without a lookup.
const GUESSED: core::ops::RangeInclusive<i32> = 2..=32;

/// Prints one attempt's outcome; `true` if it was refused with one of `expected`.
fn report(what: &str, result: Result<(), Error>, expected: &[Error]) -> bool {
    let mut line = Line::new();
    line.str("denied: ").str(what).str(" -> ");
    let refused = match result {
        Ok(()) => {
            line.str("allowed: FAILED");
            false
        }
        Err(e) if expected.contains(&e) => {
            line.error(e).str(", refused as expected");
            true
        }
        Err(e) => {
            line.error(e).str(": FAILED, expected ").str(expected[0].name());
            false
        }
    };
    line.print();
    refused
}

fn main() {
    let mut ok = true;
    ok &= report("lookup(\"pingpong\")", lookup(names::PINGPONG).map(drop), &[Error::Denied]);
    ok &= report("register(\"console\")", kernel::register(names::CONSOLE), &[Error::Denied]);
    ok &= report("kernel SERIAL_WRITE", kernel::serial_write(b"denied: written to serial\n"), &[Error::Denied]);
    ok &= report("kernel DEVICE_OPEN(\"virtio-net\")", Device::open("virtio-net").map(drop), &[Error::Denied]);
    // Calls by guessed id reach nothing but the console: the others are not in `reach`.
    let console = lookup(names::CONSOLE).ok();
    let mut calls = 0;
    for id in GUESSED.filter_map(TaskId::new).filter(|&id| Some(id) != console) {
        let result = call(id, &mut Message::new(0xdead));
        if result != Err(Error::NoSuchTask) {
            calls += 1;
            let mut what = Line::new();
            what.str("call(task ").int(id.get()).str(")");
            let what = core::str::from_utf8(what.text()).unwrap_or("call");
            ok &= report(what, result, &[Error::Denied, Error::CallSelf]);
        }
    }
    let mut last = Line::new();
    last.str("denied: ").int(calls).str(" live tasks called by id; ");
    last.str(if ok { "every attempt refused" } else { "FAILED: something was allowed" });
    last.print();
    kernel::exit(if ok { 0 } else { 1 });
}

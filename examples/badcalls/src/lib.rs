//! badcalls: makes every kind of malformed IPC request — pointers outside its memory, an
//! oversized message, flags set in a request, unknown tasks and names, a reply to a task that
//! is not waiting, a call to itself — prints each error, and exits 0 only if every one was
//! refused with the error `docs/abi.md` names, the kernel still answering afterwards.

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::console::Line;
use hayabusa_abi::{Error, Message, TaskId, call, kernel, lookup, names, probe, reply};

hayabusa_abi::main!(main);

/// A task id no task has.
const NOBODY: i32 = 0x7fff_0000;

/// Prints one request's outcome; `true` if it failed with `expected`.
fn check<T>(what: &str, result: Result<T, Error>, expected: Error) -> bool {
    let mut line = Line::new();
    line.str("badcalls: ").str(what).str(" -> ");
    let ok = match result {
        Ok(_) => {
            line.str("accepted: FAILED");
            false
        }
        Err(e) if e == expected => {
            line.error(e);
            true
        }
        Err(e) => {
            line.error(e).str(": FAILED, expected ").str(expected.name());
            false
        }
    };
    line.print();
    ok
}

fn main() {
    let mut ok = true;
    let mut msg = Message::new(0);
    let console = match lookup(names::CONSOLE) {
        Ok(console) => console,
        Err(e) => kernel::exit(e.code()),
    };
    for address in probe::bad_addresses() {
        ok &= check("call(console, buffer outside memory)", probe::call_at(console, address), Error::BadPointer);
        ok &= check("call(kernel, buffer outside memory)", probe::call_at(TaskId::KERNEL, address), Error::BadPointer);
        ok &= check("recv(any, buffer outside memory)", probe::recv_at(address), Error::BadPointer);
        ok &= check("reply(console, message outside memory)", probe::reply_at(console, address), Error::BadPointer);
        ok &= check("lookup(name outside memory)", probe::lookup_at(address), Error::BadPointer);
    }
    ok &= check("call(console, len 4081)", probe::call_oversized(console, &mut Message::new(1)), Error::TooLarge);
    ok &= check("call(console, flags 1)", probe::call_with_flags(console, &mut Message::new(1)), Error::BadArgument);
    ok &= check("call(unknown task)", probe::call_raw_id(NOBODY, &mut Message::new(1)), Error::NoSuchTask);
    ok &= check("call(task 0)", probe::call_raw_id(0, &mut Message::new(1)), Error::NoSuchTask);
    ok &= check("call(task -5)", probe::call_raw_id(-5, &mut Message::new(1)), Error::NoSuchTask);
    ok &= check("recv(from -1)", probe::recv_from_negative(&mut msg), Error::BadArgument);
    ok &= check("reply(console, not waiting)", reply(console, &Message::new(1)), Error::NotWaiting);
    ok &= check("reply(unknown task)", reply(TaskId::new(NOBODY).expect("positive"), &Message::new(1)), Error::NoSuchTask);
    ok &= check("lookup(\"\")", lookup(""), Error::BadArgument);
    ok &= check("lookup(33-byte name)", lookup("abcdefghijklmnopqrstuvwxyz0123456"), Error::BadArgument);
    ok &= check("lookup(\"nosuchservice\")", lookup("nosuchservice"), Error::NotFound);
    ok &= check("lookup(\"pingpong\")", lookup(names::PINGPONG), Error::Denied);
    ok &= check("kernel request 99", call(TaskId::KERNEL, &mut Message::new(99)), Error::BadArgument);
    ok &= check("register(\"badcalls\")", kernel::register("badcalls"), Error::Denied);
    // (A call to oneself gets CALL_SELF: `examples/denied` finds its own id by guessing.)
    ok &= check("console WRITE kind 7", call(console, &mut Message::new(7)), Error::Unsupported);
    let mut last = Line::new();
    last.str("badcalls: ");
    last.str(if ok { "every bad request refused with its error" } else { "FAILED" });
    last.print();
    kernel::exit(if ok { 0 } else { 1 });
}

//! deepcall: a hostile client of the direct path's stacks. It recurses until its own call stack
//! is exhausted, calling `console` (an empty WRITE) and `pingpong` (a 0-byte PING, checked) at
//! every level, so its deepest calls are made from within one frame of its stack limit. The
//! servers' handlers run on stacks of their own, so every call must succeed: the program ends
//! with the trap "call stack exhausted" in `dive`, and a call that fails is reported and makes it
//! exit with code 1 instead. With the argument `server-recurse` it instead asks `pingpong` to
//! exhaust its own handler stack (RECURSE): that call must fail with `PEER_DIED`.

#![no_std]
#![forbid(unsafe_code)]


use core::sync::atomic::{AtomicU64, Ordering};

use hayabusa_abi::console::{Line, WRITE};
use hayabusa_abi::{Error, Message, TaskId, call, call_status, kernel, lookup, names};

hayabusa_abi::main!(main);

/// The pingpong protocol's kinds (`examples/pingpong/protocol.rs`).
const PING: u32 = 1;
const RECURSE: u32 = 3;

/// The first failed call: depth in the high half, error code in the low half (0: none).
static FAILED: AtomicU64 = AtomicU64::new(0);

/// One level: both calls, then the next level. Returns only if a call failed (recorded in
/// `FAILED`); the recursion ends in the stack-exhaustion trap otherwise. Only scalars cross the
/// recursion (raw call statuses, no `Result`), so it uses the Wasm stack alone and no
/// shadow-stack frames in linear memory, which would run out first; its result is scrambled
/// with the depth after the recursion returns, so LLVM can turn it neither into a tail call nor
/// into a loop.
#[inline(never)]
fn dive(depth: u32, console: TaskId, pingpong: TaskId, msg: &mut Message) -> u32 {
    let failed = |code: i32| {
        FAILED.store(u64::from(depth) << 32 | u64::from(code as u32), Ordering::Relaxed);
        depth
    };
    msg.reset(WRITE);
    let status = call_status(console, msg);
    if status != 0 {
        return failed(status);
    }
    msg.reset(PING);
    let status = call_status(pingpong, msg);
    if status != 0 {
        return failed(status);
    }
    if msg.kind() != PING || !msg.payload().is_empty() {
        return failed(Error::Unknown.code());
    }
    dive(depth + 1, console, pingpong, msg).rotate_left(depth) ^ depth
}

fn fail(what: &str, e: Error) -> ! {
    Line::new().str("deepcall: ").str(what).str(": FAILED: ").error(e).print();
    kernel::exit(1)
}

fn main() {
    let mut msg = Message::new(0);
    let recurse = kernel::args(&mut msg).is_ok_and(|a| a.trim_ascii() == b"server-recurse");
    let pingpong = lookup(names::PINGPONG).unwrap_or_else(|e| fail("lookup pingpong", e));
    if recurse {
        msg.reset(RECURSE);
        let result = call(pingpong, &mut msg);
        let mut line = Line::new();
        line.str("deepcall: RECURSE -> ");
        match result {
            Ok(()) => line.str("answered"),
            Err(e) => line.error(e),
        };
        line.print();
        kernel::exit(if result == Err(Error::PeerDied) { 0 } else { 1 });
    }
    let console = lookup(names::CONSOLE).unwrap_or_else(|e| fail("lookup console", e));
    dive(0, console, pingpong, &mut msg);
    let failed = FAILED.load(Ordering::Relaxed);
    let (depth, code) = ((failed >> 32) as u32, failed as u32 as i32);
    let e = Error::from_code(code).unwrap_or(Error::Unknown);
    Line::new().str("deepcall: call at depth ").int(depth).str(" FAILED: ").error(e).print();
    kernel::exit(1);
}

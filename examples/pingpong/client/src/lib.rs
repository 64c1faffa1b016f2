//! pingpong client: N round trips (its argument, default 1000) to each pingpong server that runs,
//! payloads of 0, 64 and 1024 bytes in turn, every reply checked; prints the mean time per call.
//! With the argument `crash` it instead makes each server trap in mid-call and checks that the
//! call fails with `PEER_DIED` and that the service is gone. With `forge` it makes each server
//! answer with `PEER_DIED` and checks that the call fails with `BAD_REPLY` instead (a server
//! cannot speak for the kernel) and that the server still answers. With `bench N` it runs the round
//! trips for the kernel's `bench ipc`: N per payload size (rounded up to whole batches of 16),
//! back to back in batches bracketed by `bench_mark`, the payload checked after each batch; then
//! as many empty batches (the timer floor); `bench N direct` does only the 0 B round trips to
//! `pingpong` (the direct path), for counting a direct round trip's instructions (two runs of
//! different N under callgrind, docs/benchmarks.md). With `hang SERVICE` it makes one call whose handler
//! never returns (for the kill tests) and prints what the call returned, should it ever return.

#![no_std]
#![forbid(unsafe_code)]

#[path = "../../protocol.rs"]
#[allow(dead_code, reason = "shared by client and server; each uses its half")]
mod protocol;

use hayabusa_abi::console::Line;
use hayabusa_abi::{Error, Message, TaskId, bench, call, call_status, kernel, lookup, names};

hayabusa_abi::main!(main);

const DEFAULT_ROUNDS: u32 = 1000;
const SIZES: [usize; 3] = [0, 64, 1024];

/// Runs `rounds` checked round trips to `server`; the round that failed, with its error if any.
fn rounds_to(server: TaskId, rounds: u32, msg: &mut Message) -> Result<(), (u32, Option<Error>)> {
    for round in 0..rounds {
        let len = SIZES[round as usize % SIZES.len()];
        protocol::request(msg, round, len).map_err(|e| (round, Some(e)))?;
        call(server, msg).map_err(|e| (round, Some(e)))?;
        if !protocol::check(msg, round, len) {
            return Err((round, None));
        }
    }
    Ok(())
}

/// Round trips per `bench_mark` batch: even, so the payload (inverted by every PING) comes back.
const BATCH: u16 = 16;

/// `bench N`: `rounds` round trips per payload size to `server` in timed batches; the size and
/// batch that failed, with its error if any.
fn bench_rounds(server: TaskId, rounds: u32, sizes: &[usize], msg: &mut Message) -> Result<(), (u32, Option<Error>)> {
    for &len in sizes {
        protocol::request(msg, 0, len).map_err(|e| (len as u32, Some(e)))?;
        for _ in 0..rounds.div_ceil(u32::from(BATCH)) {
            // The calls back to back, keeping the lowest status (0, or one of the errors):
            // nothing else in the timed loop.
            bench::start(Some(server));
            let mut failed = 0;
            for _ in 0..BATCH {
                failed = failed.min(call_status(server, msg));
            }
            bench::end(Some(server), BATCH, len as u16);
            if failed != 0 {
                return Err((len as u32, Some(Error::from_code(failed).unwrap_or(Error::Unknown))));
            }
            if !protocol::is_request(msg, 0, len) {
                return Err((len as u32, None));
            }
        }
    }
    Ok(())
}

/// Makes `server` answer with an error only the kernel may give; whether the call failed with
/// `BAD_REPLY` and a PING is answered afterwards.
fn forge(server: TaskId, line: &mut Line) -> bool {
    let result = call(server, &mut Message::new(protocol::FORGE));
    line.str("forged PEER_DIED -> ");
    match result {
        Ok(()) => line.str("answered: FAILED"),
        Err(e) => line.error(e),
    };
    let mut msg = Message::new(0);
    let ping = protocol::request(&mut msg, 1, 8).and_then(|()| call(server, &mut msg));
    let answered = ping.is_ok() && protocol::check(&msg, 1, 8);
    line.str(if answered { ", then PING ok" } else { ", then PING FAILED" });
    result == Err(Error::BadReply) && answered
}

/// Makes `server` trap in mid-call; whether the call failed with `PEER_DIED` and the service
/// `name` is gone afterwards.
fn crash(name: &str, server: TaskId, line: &mut Line) -> bool {
    let result = call(server, &mut Message::new(protocol::CRASH));
    line.str("crash call -> ");
    match result {
        Ok(()) => line.str("answered: FAILED"),
        Err(e) => line.error(e),
    };
    let gone = lookup(name);
    line.str(", then lookup -> ");
    match gone {
        Ok(_) => line.str("still registered"),
        Err(e) => line.error(e),
    };
    result == Err(Error::PeerDied) && gone == Err(Error::NotFound)
}

/// `hang SERVICE`: one call to `service` whose handler loops forever.
fn hang(service: &str) -> ! {
    let mut msg = Message::new(protocol::LOOP);
    let mut line = Line::new();
    line.str("pingpong: hanging in ").str(service).str(": ");
    let server = match lookup(service) {
        Ok(server) => server,
        Err(e) => {
            line.str("lookup failed: ").error(e).print();
            kernel::exit(1);
        }
    };
    line.str("calling").print();
    let result = call(server, &mut msg);
    let mut line = Line::new();
    line.str("pingpong: the hanging call returned: ");
    match result {
        Ok(()) => line.str("ok"),
        Err(e) => line.error(e),
    };
    line.print();
    kernel::exit(1);
}

fn main() {
    let mut msg = Message::new(0);
    let arg = kernel::args(&mut msg).ok().and_then(|args| core::str::from_utf8(args).ok()).map(str::trim);
    if let Some(service) = arg.and_then(|arg| arg.strip_prefix("hang ")) {
        hang(service.trim());
    }
    let crashing = arg == Some("crash");
    let forging = arg == Some("forge");
    let bench_arg = arg.and_then(|arg| arg.strip_prefix("bench")).map(str::trim);
    // `bench N direct`: the empty round trips to the direct-path server only.
    let direct_only = bench_arg.and_then(|rest| rest.strip_suffix("direct")).map(str::trim);
    let bench_rounds_arg = direct_only.or(bench_arg).map(|n| n.parse().unwrap_or(DEFAULT_ROUNDS));
    let rounds = bench_rounds_arg.or_else(|| arg.and_then(|arg| arg.parse().ok())).unwrap_or(DEFAULT_ROUNDS);
    let (services, sizes): (&[&str], &[usize]) = match direct_only {
        Some(_) => (&[names::PINGPONG], &[0]),
        None => (&[names::PINGPONG, names::PINGPONG_SWITCH], &SIZES),
    };
    let mut ok = true;
    for &service in services {
        let mut line = Line::new();
        line.str("pingpong: ").str(service).str(": ");
        match lookup(service) {
            Err(Error::NotFound) => {
                line.str("not running, skipped").print();
                continue;
            }
            Err(e) => {
                ok = false;
                line.str("lookup failed: ").error(e).print();
                continue;
            }
            Ok(server) if crashing => {
                ok &= crash(service, server, &mut line);
            }
            Ok(server) if forging => {
                ok &= forge(server, &mut line);
            }
            Ok(server) if bench_rounds_arg.is_some() => match bench_rounds(server, rounds, sizes, &mut msg) {
                Ok(()) => {
                    line.int(rounds).str(" round trips per size timed");
                }
                Err((len, error)) => {
                    ok = false;
                    line.str("FAILED at ").int(len).str(" B: ");
                    match error {
                        Some(e) => line.error(e),
                        None => line.str("wrong reply"),
                    };
                }
            },
            Ok(server) => {
                let start = kernel::uptime_ns().unwrap_or(0);
                match rounds_to(server, rounds, &mut msg) {
                    Ok(()) => {
                        let ns = kernel::uptime_ns().unwrap_or(0).saturating_sub(start);
                        line.int(rounds).str(" round trips ok, ").int(ns / u64::from(rounds.max(1))).str(" ns each");
                    }
                    Err((round, error)) => {
                        ok = false;
                        line.str("FAILED at round ").int(round).str(": ");
                        match error {
                            Some(e) => line.error(e),
                            None => line.str("wrong reply"),
                        };
                    }
                }
            }
        }
        line.print();
    }
    if bench_rounds_arg.is_some() {
        for _ in 0..rounds.div_ceil(u32::from(BATCH)) {
            bench::start(None);
            bench::end(None, BATCH, 0);
        }
    }
    kernel::exit(if ok { 0 } else { 1 });
}

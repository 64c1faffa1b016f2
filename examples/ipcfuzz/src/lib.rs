//! ipcfuzz: N random IPC calls (its argument, default 100000; a second argument seeds the
//! generator) against the kernel and every service it may reach, and against task ids it may
//! not: random task ids (live, dead, unreachable, itself, 0, negative), message addresses inside
//! an arena at the end of its memory, straddling the end of memory, or past it, random lengths,
//! flags and kinds, plus malformed lookups, replies and receives that must be refused. Every
//! call must come back with a status (no fault, no hang); afterwards its memory outside the
//! arena must be untouched (a canary) and every service must still answer. Kinds that end or
//! stop a party by design are left out: EXIT to the kernel, the console's WRITE and READ_LINE
//! (output and input), pingpong's CRASH, RECURSE and LOOP.

#![no_std]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicU8, Ordering};

use hayabusa_abi::console::Line;
use hayabusa_abi::probe::Arena;
use hayabusa_abi::{Error, HEADER_SIZE, MSG_SIZE, Message, TaskId, call, kernel, lookup, names};

hayabusa_abi::main!(main);

const DEFAULT_CALLS: u32 = 100_000;
const CANARY_BYTE: u8 = 0x5a;
/// Memory outside the arena that the fuzzer watches.
static CANARY: [AtomicU8; 4096] = [const { AtomicU8::new(0) }; 4096];

/// Whether `kind` to `dst` ends or stops a party by design (see the module doc).
fn destructive(dst: i32, kind: u32, console: i32, pingpong: &[i32]) -> bool {
    (dst == 1 && kind == hayabusa_abi::kernel::EXIT)
        || (dst == console && (kind == 1 || kind == 2))
        || (pingpong.contains(&dst) && (kind == 2 || kind == 3 || kind == 5))
}

fn id(result: Result<TaskId, Error>) -> i32 {
    result.map_or(0, TaskId::get)
}

fn main() {
    let mut msg = Message::new(0);
    let args = kernel::args(&mut msg).unwrap_or_default();
    let mut words = core::str::from_utf8(args).unwrap_or("").split_whitespace();
    let calls: u32 = words.next().and_then(|w| w.parse().ok()).unwrap_or(DEFAULT_CALLS);
    let seed: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let Some(arena) = Arena::new(2) else {
        Line::new().str("ipcfuzz: FAILED: cannot grow memory for the arena").print();
        kernel::exit(1);
    };
    for byte in &CANARY {
        byte.store(CANARY_BYTE, Ordering::Relaxed);
    }
    let console = id(lookup(names::CONSOLE));
    let pingpong = [id(lookup(names::PINGPONG)), id(lookup(names::PINGPONG_SWITCH))];
    // Our own id is among the small ids drawn below (CALL_SELF).
    let targets = [1, console, pingpong[0], pingpong[1], 0, -1, i32::MIN, i32::MAX, 2, 3, 4, 5, 1000];
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut statuses = [0u32; 14];
    let (start, end) = (arena.start(), arena.end());
    for _ in 0..calls {
        let dst = if rng.u32(..8) == 0 { rng.i32(-8..56) } else { targets[rng.usize(..targets.len())] };
        // Where the message is: in the arena (aligned or not), straddling the end of memory,
        // just past it, or far past it.
        let address = match rng.u32(..10) {
            0..=5 => start + rng.u32(..(end - start - MSG_SIZE as u32) / 8) * 8,
            6 => rng.u32(start..end),
            7 => end - 1 - rng.u32(..MSG_SIZE as u32),
            8 => end + rng.u32(..1 << 20),
            _ => u32::MAX - rng.u32(..1 << 12),
        };
        let kinds = [0u32, 1, 2, 3, 4, 5, 6, 7, u32::MAX, rng.u32(..)];
        let mut kind = kinds[rng.usize(..kinds.len())];
        if destructive(dst, kind, console, &pingpong) {
            kind = 0x7fff_0000;
        }
        let lens = [0u32, 1, 8, 64, 4080, 4081, 4096, u32::MAX, rng.u32(..5000)];
        let len = lens[rng.usize(..lens.len())];
        let flags = if rng.u32(..10) == 0 { rng.u32(..) } else { 0 };
        let mut header = [0u8; HEADER_SIZE];
        header[0..4].copy_from_slice(&kind.to_le_bytes());
        header[4..8].copy_from_slice(&len.to_le_bytes());
        header[8..12].copy_from_slice(&rng.u32(..).to_le_bytes());
        header[12..16].copy_from_slice(&flags.to_le_bytes());
        arena.write(address, &header);
        let status = match rng.u32(..20) {
            0 => arena.lookup(address, rng.u32(..40)),
            1 => arena.reply(dst, address),
            2 => arena.recv_refused([-1, -7, i32::MIN][rng.usize(..3)], address),
            _ => arena.call(dst, address),
        };
        let slot = if status >= 0 { 0 } else { (-i64::from(status)).min(13) as usize };
        statuses[slot] += 1;
    }
    let intact = CANARY.iter().all(|b| b.load(Ordering::Relaxed) == CANARY_BYTE);
    let mut answered = true;
    for server in pingpong {
        let mut ping = Message::with_payload(1, b"fuzz").expect("4 bytes fit");
        let ok = TaskId::new(server).is_some_and(|s| call(s, &mut ping).is_ok()) && ping.payload() == [!b'f', !b'u', !b'z', !b'z'];
        answered &= ok;
    }
    let mut line = Line::new();
    line.str("ipcfuzz: ").int(calls).str(" calls; statuses:");
    for (code, count) in statuses.iter().enumerate().filter(|(_, c)| **c > 0) {
        line.str(" ").int(-(code as i32)).str("=").int(*count);
    }
    line.str(if intact { "; memory outside the arena untouched" } else { "; FAILED: memory outside the arena changed" });
    line.str(if answered { "; pingpong servers answer" } else { "; FAILED: a pingpong server does not answer" });
    // This line itself is the console's answer.
    line.print();
    kernel::exit(if intact && answered { 0 } else { 1 });
}

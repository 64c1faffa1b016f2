//! ipcfuzz: N random IPC calls (its argument, default 100000; a second argument seeds the
//! generator) against the kernel and every service it may reach, and against task ids it may
//! not: random task ids (live, dead, unreachable, itself, 0, negative), message addresses inside
//! an arena at the end of its memory, straddling the end of memory, or past it, random lengths,
//! flags and kinds, plus malformed lookups, replies and receives that must be refused. Every
//! call must come back with a status (no fault, no hang); afterwards its memory outside the
//! arena must be untouched (a canary) and every service must still answer. Kinds that end or
//! stop a party by design are left out: EXIT to the kernel, the console's WRITE and READ_LINE
//! (output and input), pingpong's CRASH and RECURSE.

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

/// xorshift64*: small, deterministic per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Whether `kind` to `dst` ends or stops a party by design (see the module doc).
fn destructive(dst: i32, kind: u32, console: i32, pingpong: &[i32]) -> bool {
    (dst == 1 && kind == hayabusa_abi::kernel::EXIT)
        || (dst == console && (kind == 1 || kind == 2))
        || (pingpong.contains(&dst) && (kind == 2 || kind == 3))
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
    let mut rng = Rng(seed | 1);
    let mut statuses = [0u32; 14];
    let (start, end) = (arena.start(), arena.end());
    for _ in 0..calls {
        let dst = if rng.below(8) == 0 { rng.below(64) as i32 - 8 } else { rng.pick(&targets) };
        // Where the message is: in the arena (aligned or not), straddling the end of memory,
        // just past it, or far past it.
        let address = match rng.below(10) {
            0..=5 => start + (rng.below(u64::from(end - start - MSG_SIZE as u32) / 8) * 8) as u32,
            6 => start + rng.below(u64::from(end - start)) as u32,
            7 => end - 1 - rng.below(MSG_SIZE as u64) as u32,
            8 => end + rng.below(1 << 20) as u32,
            _ => u32::MAX - rng.below(1 << 12) as u32,
        };
        let random_kind = rng.next() as u32;
        let mut kind = rng.pick(&[0u32, 1, 2, 3, 4, 5, 6, 7, u32::MAX, random_kind]);
        if destructive(dst, kind, console, &pingpong) {
            kind = 0x7fff_0000;
        }
        let random_len = rng.below(5000) as u32;
        let len = rng.pick(&[0u32, 1, 8, 64, 4080, 4081, 4096, u32::MAX, random_len]);
        let flags = if rng.below(10) == 0 { rng.next() as u32 } else { 0 };
        let mut header = [0u8; HEADER_SIZE];
        header[0..4].copy_from_slice(&kind.to_le_bytes());
        header[4..8].copy_from_slice(&len.to_le_bytes());
        header[8..12].copy_from_slice(&(rng.next() as u32).to_le_bytes());
        header[12..16].copy_from_slice(&flags.to_le_bytes());
        arena.write(address, &header);
        let status = match rng.below(20) {
            0 => arena.lookup(address, rng.below(40) as u32),
            1 => arena.reply(dst, address),
            2 => arena.recv_refused(rng.pick(&[-1, -7, i32::MIN]), address),
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

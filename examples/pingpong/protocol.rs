//! The pingpong protocol, shared by client and server: PING with a payload derived from the
//! round number; the reply carries every byte inverted, so both copy directions are checked.

use hayabusa_abi::{Error, Message};

/// The request kind the pingpong servers answer.
pub const PING: u32 = 1;
/// Makes the server trap while it handles the call (for the tests: the caller must get
/// `PEER_DIED`, and a restarted server must be reachable again).
pub const CRASH: u32 = 2;
/// Makes the server's handler exhaust its own stack (for the tests: a server whose handler
/// recurses without end still ends only itself, and the caller gets `PEER_DIED`).
pub const RECURSE: u32 = 3;
/// Makes the server answer with `PEER_DIED`, an error only the kernel may give (for the tests:
/// the caller must get `BAD_REPLY` instead, on both paths).
pub const FORGE: u32 = 4;
/// Makes the server's handler loop forever (for the tests: a caller killed while it waits for, or
/// runs, such a handler is gone within a time slice or two).
pub const LOOP: u32 = 5;

fn byte(round: u32, i: usize) -> u8 {
    (round as usize).wrapping_mul(31).wrapping_add(i) as u8
}

/// Makes `msg` the request of `round` with `len` payload bytes.
pub fn request(msg: &mut Message, round: u32, len: usize) -> Result<(), Error> {
    msg.reset(PING);
    let area = msg.payload_area();
    for (i, b) in area.iter_mut().take(len).enumerate() {
        *b = byte(round, i);
    }
    msg.set_len(len)
}

/// The server's side: turns a request into its reply, in place.
pub fn answer(msg: &mut Message) -> Result<(), Error> {
    match msg.kind() {
        PING => {}
        CRASH => hayabusa_abi::trap::unreachable(),
        RECURSE => hayabusa_abi::trap::stack_overflow(),
        FORGE => return Err(Error::PeerDied),
        LOOP => loop {
            core::hint::spin_loop();
        },
        _ => return Err(Error::Unsupported),
    }
    let len = msg.payload().len();
    for b in msg.payload_area().iter_mut().take(len) {
        *b = !*b;
    }
    Ok(())
}

/// Whether `msg` is exactly the request of `round` with `len` bytes again (after an even number
/// of round trips, each of which inverts the payload).
pub fn is_request(msg: &Message, round: u32, len: usize) -> bool {
    let payload = msg.payload();
    msg.kind() == PING && payload.len() == len && payload.iter().enumerate().all(|(i, &b)| b == byte(round, i))
}

/// Whether `msg` is the correct reply to the request of `round` with `len` bytes.
pub fn check(msg: &Message, round: u32, len: usize) -> bool {
    let payload = msg.payload();
    msg.kind() == PING && payload.len() == len && payload.iter().enumerate().all(|(i, &b)| b == !byte(round, i))
}

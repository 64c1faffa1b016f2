//! pingpong server: answers PING (see `../protocol.rs`), registered under the name given as its
//! argument (default `pingpong`), so the manifest can start it twice, once per IPC path.

#![no_std]
#![forbid(unsafe_code)]

#[path = "../../protocol.rs"]
#[allow(dead_code, reason = "shared by client and server; each uses its half")]
mod protocol;

use hayabusa_abi::{Error, Message, TaskId, kernel, names, server};

hayabusa_abi::serve!(handler = handle);
hayabusa_abi::main!(main);

fn handle(_sender: TaskId, msg: &mut Message) -> Result<(), Error> {
    protocol::answer(msg)
}

fn main() {
    let mut msg = Message::new(0);
    let args = kernel::args(&mut msg).map(<[u8]>::trim_ascii).unwrap_or_default();
    let name = match core::str::from_utf8(args) {
        Ok(name) if !name.is_empty() => name,
        _ => names::PINGPONG,
    };
    server::run(name, handle)
}

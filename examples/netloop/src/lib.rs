//! netloop: a fake `netdev` driver for testing `tcpip` without a NIC. Every frame a client
//! SENDs comes back to it by RECV, as if a wire looped to itself: the tcpip server then talks
//! to itself, ARP and TCP handshakes included, so its listener and connector are both real
//! smoltcp sockets. Serves the netdev protocol (`hayabusa_abi::netdev`) on the switch path,
//! under the service name in ARGS (default `netloop`).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use hayabusa_abi::netdev::{INFO, MAX_FRAME, MTU, RECV, RX_BIT, SEND, SUBSCRIBE};
use hayabusa_abi::{Error, Message, TaskId, console, kernel, recv, reply};

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// Frames held at most; the oldest is dropped beyond (as the driver does).
const QUEUE: usize = 64;
/// A locally administered MAC address.
const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

hayabusa_abi::serve!(handler = direct);
hayabusa_abi::main!(main);

/// Calls come on the switch path only (`ipc = switch`).
fn direct(_sender: TaskId, _msg: &mut Message) -> Result<(), Error> {
    Err(Error::Unsupported)
}

fn main() {
    let mut msg = alloc::boxed::Box::new(Message::new(0));
    let name = match kernel::args(&mut msg) {
        Ok([]) | Err(_) => Vec::from(*b"netloop"),
        Ok(args) => args.to_vec(),
    };
    let name = core::str::from_utf8(&name).unwrap_or("netloop");
    if let Err(e) = kernel::register(name) {
        console::Line::new().str("netloop: register: ").error(e).print();
        return;
    }
    let mut frames: VecDeque<Vec<u8>> = VecDeque::new();
    let mut subscriber: Option<TaskId> = None;
    loop {
        let Ok(from) = recv(None, &mut msg) else { continue };
        if from == TaskId::KERNEL {
            continue; // a notification: nothing to do
        }
        let result = match msg.kind() {
            SEND if (14..=MAX_FRAME).contains(&msg.payload().len()) => {
                if frames.len() >= QUEUE {
                    frames.pop_front();
                }
                frames.push_back(msg.payload().to_vec());
                if frames.len() == 1
                    && let Some(task) = subscriber
                {
                    let _ = kernel::notify(task, RX_BIT);
                }
                msg.reset(SEND);
                Ok(())
            }
            SEND => Err(Error::BadArgument),
            RECV => {
                let frame = frames.pop_front().unwrap_or_default();
                msg.reset(RECV);
                msg.set_payload(&frame)
            }
            INFO => {
                msg.reset(INFO);
                msg.set_payload(&MAC).and_then(|()| msg.push(&MTU.to_le_bytes()))
            }
            SUBSCRIBE => {
                subscriber = Some(from);
                msg.reset(SUBSCRIBE);
                Ok(())
            }
            _ => Err(Error::Unsupported),
        };
        if let Err(e) = result {
            msg.reset(0);
            msg.set_error(e);
        }
        let _ = reply(from, &msg);
    }
}

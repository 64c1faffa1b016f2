//! arping: the netdev service end to end, without a TCP/IP stack. Subscribes to the driver, sends
//! an ARP request for QEMU's user-network gateway (10.0.2.2, from 10.0.2.15), waits for the
//! driver's RX_BIT notification — which comes only when the device interrupted — then reads
//! frames until the ARP reply. Prints `arping: 10.0.2.2 is at MAC` or `arping: FAILED ...` and
//! exits 1. A 3 s TIMER bounds the wait.

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::kernel::{self, NOTIFICATION, TIMER_BIT};
use hayabusa_abi::netdev::{self, RX_BIT};
use hayabusa_abi::{Error, Message, TaskId, call, console, lookup, names, recv};

hayabusa_abi::main!(main);

const ME: [u8; 4] = [10, 0, 2, 15];
const GATEWAY: [u8; 4] = [10, 0, 2, 2];
const HEX: &[u8; 16] = b"0123456789abcdef";

fn fail(what: &str, e: impl Into<Option<Error>>) -> ! {
    let mut line = console::Line::new();
    line.str("arping: FAILED ").str(what);
    if let Some(e) = e.into() {
        line.str(": ").error(e);
    }
    line.print();
    kernel::exit(1)
}

fn request(dev: TaskId, kind: u32, payload: &[u8], msg: &mut Message) -> Result<(), Error> {
    msg.reset(kind);
    msg.set_payload(payload)?;
    call(dev, msg)
}

/// An ARP request from `mac` / 10.0.2.15 for 10.0.2.2, broadcast.
fn arp_request(mac: &[u8]) -> [u8; 42] {
    let mut f = [0u8; 42];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(mac);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    f[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(mac);
    f[28..32].copy_from_slice(&ME);
    f[38..42].copy_from_slice(&GATEWAY);
    f
}

/// The sender's MAC, if `frame` is an ARP reply from 10.0.2.2 to us.
fn arp_reply_from_gateway(frame: &[u8]) -> Option<[u8; 6]> {
    let is_reply = frame.len() >= 42 && frame[12..14] == [0x08, 0x06] && frame[20..22] == [0, 2];
    (is_reply && frame[28..32] == GATEWAY && frame[38..42] == ME).then(|| frame[22..28].try_into().ok()).flatten()
}

fn main() {
    let dev = lookup(names::NETDEV).unwrap_or_else(|e| fail("lookup netdev", e));
    let mut msg = Message::new(0);
    request(dev, netdev::SUBSCRIBE, &[], &mut msg).unwrap_or_else(|e| fail("subscribe", e));
    request(dev, netdev::INFO, &[], &mut msg).unwrap_or_else(|e| fail("info", e));
    let mut mac = [0u8; 6];
    mac.copy_from_slice(msg.payload().get(..6).unwrap_or_else(|| fail("info reply", None)));
    // Nothing is asked of the driver from here until it notifies: only its interrupt can do that.
    let _ = kernel::set_timer(3_000_000_000);
    request(dev, netdev::SEND, &arp_request(&mac), &mut msg).unwrap_or_else(|e| fail("send", e));
    loop {
        match recv(Some(TaskId::KERNEL), &mut msg) {
            Ok(_) if msg.kind() == NOTIFICATION => {}
            Ok(_) => fail("an unexpected message", None),
            Err(e) => fail("recv", e),
        }
        let bits = msg.u32_at(0).unwrap_or(0);
        if bits & RX_BIT != 0 {
            loop {
                request(dev, netdev::RECV, &[], &mut msg).unwrap_or_else(|e| fail("recv a frame", e));
                if msg.payload().is_empty() {
                    break;
                }
                if let Some(gw) = arp_reply_from_gateway(msg.payload()) {
                    let mut line = console::Line::new();
                    line.str("arping: 10.0.2.2 is at ");
                    for (i, b) in gw.iter().enumerate() {
                        let pair = [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
                        line.str(if i == 0 { "" } else { ":" }).bytes(&pair);
                    }
                    line.print();
                    let _ = kernel::set_timer(0);
                    return;
                }
            }
        }
        if bits & TIMER_BIT != 0 {
            fail("no ARP reply within 3 s", None);
        }
    }
}

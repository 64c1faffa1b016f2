//! tcpip: the TCP/IP service, a Wasm task. smoltcp over the `netdev` driver, with the socket
//! protocol of `hayabusa_abi::net` (docs/abi.md, "`tcpip`") for its clients: TCP listen, accept,
//! connect, send, receive, close; UDP bind, send, receive; WAIT on many sockets; blocking
//! requests answered later (a switch-path server: `ipc = switch` in the manifest).
//!
//! ARGS name the driver's service (default `netdev`). The address is QEMU user networking's: 10.0.2.15/24, gateway 10.0.2.2 (no DHCP); smoltcp
//! answers ICMP echo requests to it.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod netdev;
mod service;

use tcpip_stack::{device, sockets};

use hayabusa_abi::{Error, Message, TaskId, console, kernel, names};
use smoltcp::iface::{Config, Interface};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// The interface's address and network, and the default route.
const ADDRESS: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const PREFIX: u8 = 24;
const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
/// How long to wait for the driver to register, in milliseconds.
const DRIVER_WAIT_MS: u64 = 5000;

// Calls reach this server on the switch path only (`ipc = switch`); the direct-path exports the
// ABI asks of a service refuse.
hayabusa_abi::serve!(handler = direct);
hayabusa_abi::main!(main);

fn direct(_sender: TaskId, _msg: &mut Message) -> Result<(), Error> {
    Err(Error::Unsupported)
}

fn fail(what: &str, e: Error) -> ! {
    console::Line::new().str("tcpip: ").str(what).str(": ").error(e).print();
    kernel::exit(1)
}

/// Waits until the driver `name` is there (it may start after us), then opens it.
fn open_driver(name: &str, msg: &mut Message) -> netdev::Netdev {
    if let Err(e) = hayabusa_abi::lookup_waiting(name, DRIVER_WAIT_MS, msg) {
        fail("no netdev driver", e);
    }
    netdev::Netdev::open(name, msg).unwrap_or_else(|e| fail("no netdev driver", e))
}

fn main() {
    let mut msg = alloc::boxed::Box::new(Message::new(0));
    // ARGS: the driver's service name (default `netdev`; the tests give `netloop`).
    let driver = match kernel::args(&mut msg) {
        Ok(args) if !args.is_empty() => alloc::string::String::from_utf8_lossy(args).into_owned(),
        _ => alloc::string::String::from(names::NETDEV),
    };
    let dev = open_driver(driver.trim(), &mut msg);
    let mut frames = device::Frames::new(hayabusa_abi::netdev::MAX_FRAME);
    let now = kernel::uptime_ns().unwrap_or(0);
    let mac = dev.mac;
    let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
    config.random_seed = now ^ u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 0, 0]);
    let mut iface = Interface::new(config, &mut frames, smoltcp::time::Instant::from_micros((now / 1000) as i64));
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(ADDRESS), PREFIX));
    });
    if iface.routes_mut().add_default_ipv4_route(GATEWAY).is_err() {
        fail("default route", Error::Busy);
    }
    let stack = sockets::Stack::new(iface, ADDRESS, config_seed(now));
    if let Err(e) = kernel::register(names::TCPIP) {
        fail("register", e);
    }
    console::Line::new().str("tcpip: 10.0.2.15/24 gateway 10.0.2.2").print();
    service::Service::new(stack, frames, dev).run()
}

fn config_seed(now: u64) -> u64 {
    now.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 17
}

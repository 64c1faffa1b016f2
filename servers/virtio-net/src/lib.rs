//! virtio-net: the network interface driver, a Wasm task. It opens the NIC the manifest grants it
//! (`device = virtio-net`), has the kernel map the device's registers and a DMA pool into its
//! memory, drives the device with the `virtio-drivers` crate, and serves the `netdev` protocol
//! (`hayabusa_abi::netdev`) to one client, the tcpip server: SEND a frame, RECV one, INFO, and a
//! notification when frames arrive. The device's interrupts come as IRQ_BIT notifications in the
//! same `ipc_recv` loop as the calls.

#![no_std]

mod config;
mod frames;
mod hal;
mod tx;

use hayabusa_abi::device::Device;
use hayabusa_abi::kernel::{self, IRQ_BIT, NOTIFICATION};
use hayabusa_abi::netdev::{self, MTU, RX_BIT};
use hayabusa_abi::{Error, Message, TaskId, console, names, recv, reply};
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::pci::PciTransport;
use virtio_drivers::transport::pci::bus::{DeviceFunction, PciRoot};

use frames::Frames;
use hal::KernelHal;

hayabusa_abi::main!(main);

/// Descriptors per virtqueue, and receive buffers posted.
pub(crate) const QUEUE: usize = 16;
/// A receive buffer: a whole frame and the virtio-net header.
const RX_BUF: usize = 1536;

pub(crate) type Net = VirtIONetRaw<KernelHal, PciTransport, QUEUE>;

/// The receive buffers and the token of each one's posting (statics: the shadow stack is small).
struct Rx {
    bufs: [[u8; RX_BUF]; QUEUE],
    tokens: [Option<u16>; QUEUE],
}

static RX: spin::Mutex<Rx> = spin::Mutex::new(Rx { bufs: [[0; RX_BUF]; QUEUE], tokens: [None; QUEUE] });
static FRAMES: spin::Mutex<Frames> = spin::Mutex::new(Frames::new());

fn fail(what: &str, e: impl Into<Option<Error>>) -> ! {
    let mut line = console::Line::new();
    line.str("virtio-net: ").str(what);
    if let Some(e) = e.into() {
        line.str(": ").error(e);
    }
    line.print();
    kernel::exit(1)
}

fn main() {
    let device = Device::open("virtio-net").unwrap_or_else(|e| fail("cannot open the device", e));
    hal::init(&device).unwrap_or_else(|e| fail("cannot map the device", e));
    let mut root = PciRoot::new(config::KernelConfig(device));
    let location = DeviceFunction { bus: 0, device: 0, function: 0 };
    let Ok(transport) = PciTransport::new::<KernelHal, _>(&mut root, location) else { fail("not a virtio PCI device", None) };
    let Ok(mut net) = Net::new(transport) else { fail("the device refused to start", None) };
    post_receive_buffers(&mut net);
    if let Err(e) = kernel::register(names::NETDEV) {
        fail("cannot register netdev", e);
    }
    let mac = net.mac_address();
    let mut line = console::Line::new();
    line.str("virtio-net: up, MAC ");
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            line.str(":");
        }
        line.str(HEX[usize::from(b >> 4)]).str(HEX[usize::from(b & 15)]);
    }
    line.print();
    let _ = device.irq_ack();
    serve(&device, &mut net, mac);
}

const HEX: [&str; 16] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"];

/// Posts every receive buffer not posted yet.
fn post_receive_buffers(net: &mut Net) {
    let mut rx = RX.lock();
    let rx = &mut *rx;
    for (buf, token) in rx.bufs.iter_mut().zip(rx.tokens.iter_mut()) {
        if token.is_none() {
            *token = net_receive_begin(net, buf);
        }
    }
}

#[allow(unsafe_code)]
fn net_receive_begin(net: &mut Net, buf: &mut [u8; RX_BUF]) -> Option<u16> {
    // SAFETY: `buf` is one of the static receive buffers, left alone until `receive_complete`
    // gives it back (`harvest`).
    unsafe { net.receive_begin(buf) }.ok()
}

/// Takes every received frame off the device into [`FRAMES`] and posts the buffers again.
/// Returns whether frames were waiting before none did (the subscriber must hear of it).
fn harvest(net: &mut Net) -> bool {
    let mut frames = FRAMES.lock();
    let was_empty = frames.is_empty();
    while let Some(token) = net.poll_receive() {
        let mut rx = RX.lock();
        let Some(i) = rx.tokens.iter().position(|t| *t == Some(token)) else { break };
        rx.tokens[i] = None;
        let buf = &mut rx.bufs[i];
        #[allow(unsafe_code)]
        // SAFETY: the buffer posted with this token.
        let done = unsafe { net.receive_complete(token, buf) };
        if let Ok((header, len)) = done {
            frames.push(&buf[header..header + len.min(RX_BUF - header)]);
        }
        rx.tokens[i] = net_receive_begin(net, buf);
    }
    was_empty && !frames.is_empty()
}

/// The loop: calls from the client, the device's interrupts.
fn serve(device: &Device, net: &mut Net, mac: [u8; 6]) -> ! {
    let mut msg = Message::new(0);
    let mut subscriber: Option<TaskId> = None;
    loop {
        let sender = match recv(None, &mut msg) {
            Ok(sender) => sender,
            Err(e) => fail("recv failed", e),
        };
        if sender == TaskId::KERNEL && msg.kind() == NOTIFICATION {
            if msg.u32_at(0).is_some_and(|bits| bits & IRQ_BIT != 0) {
                // Reading the ISR lowers the line; then it may be unmasked.
                net.ack_interrupt();
                tx::reap(net);
                let arrived = harvest(net);
                let _ = device.irq_ack();
                if arrived && let Some(client) = subscriber {
                    let _ = kernel::notify(client, RX_BIT);
                }
            }
            continue;
        }
        let result = match msg.kind() {
            netdev::SEND => tx::send(net, msg.payload()).and_then(|()| msg.set_payload(&[])),
            netdev::RECV => {
                harvest(net);
                let mut frames = FRAMES.lock();
                msg.reset(netdev::RECV);
                match frames.pop() {
                    Some(frame) => msg.set_payload(frame),
                    None => Ok(()),
                }
            }
            netdev::INFO => {
                let mut info = [0u8; 8];
                info[..6].copy_from_slice(&mac);
                info[6..].copy_from_slice(&MTU.to_le_bytes());
                msg.set_payload(&info)
            }
            netdev::SUBSCRIBE => {
                subscriber = Some(sender);
                // Frames that wait already (left by a client that died) raise no new edge.
                if !FRAMES.lock().is_empty() {
                    let _ = kernel::notify(sender, RX_BIT);
                }
                msg.set_payload(&[])
            }
            _ => Err(Error::Unsupported),
        };
        if let Err(e) = result {
            msg.set_error(e);
        }
        let _ = reply(sender, &msg);
        msg.reset(0);
    }
}

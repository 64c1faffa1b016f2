//! The smoltcp device: two frame queues. Frames the driver delivered wait in `rx` until the
//! interface polls them; frames the interface sends collect in `tx` until the event loop hands
//! them to the driver (netdev SEND). No I/O happens here, so `Interface::poll` never blocks.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetFrame, EthernetProtocol, IpProtocol, Ipv4Packet, TcpPacket};

/// Frames waiting in either direction beyond which the oldest received one is dropped (the
/// driver's own queue is bounded the same way).
pub const MAX_QUEUED: usize = 256;

pub struct Frames {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: VecDeque<Vec<u8>>,
    /// Largest frame, Ethernet header included (netdev `MAX_FRAME`).
    pub max_frame: usize,
}

impl Frames {
    pub fn new(max_frame: usize) -> Frames {
        Frames { rx: VecDeque::new(), tx: VecDeque::new(), max_frame }
    }

    /// Queues a frame the driver received.
    pub fn deliver(&mut self, frame: &[u8]) {
        if self.rx.len() >= MAX_QUEUED {
            self.rx.pop_front();
        }
        self.rx.push_back(frame.to_vec());
    }

    /// Drops the connection requests (TCP SYN without ACK) waiting in `rx` beyond what each
    /// port can take now: `listening(port)` is how many of its sockets listen, `None` when no
    /// listener has the port (smoltcp then refuses, rightly). smoltcp would answer a SYN that
    /// finds its listener's backlog busy with a reset; dropped, it comes again a little later,
    /// as where a full accept queue drops SYNs. Returns how many were dropped.
    pub fn drop_syns_beyond(&mut self, mut listening: impl FnMut(u16) -> Option<usize>) -> usize {
        let mut room: BTreeMap<u16, usize> = BTreeMap::new();
        let before = self.rx.len();
        self.rx.retain(|frame| {
            let Some(port) = syn_port(frame) else { return true };
            let Some(n) = listening(port) else { return true };
            let left = room.entry(port).or_insert(n);
            if *left == 0 {
                return false;
            }
            *left -= 1;
            true
        });
        before - self.rx.len()
    }
}

/// The destination port of an IPv4 TCP SYN without ACK (a connection request).
fn syn_port(frame: &[u8]) -> Option<u16> {
    let ethernet = EthernetFrame::new_checked(frame).ok()?;
    if ethernet.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(ethernet.payload()).ok()?;
    if ip.next_header() != IpProtocol::Tcp {
        return None;
    }
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    (tcp.syn() && !tcp.ack()).then(|| tcp.dst_port())
}

pub struct Rx(Vec<u8>);
pub struct Tx<'a>(&'a mut VecDeque<Vec<u8>>);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = alloc::vec![0; len];
        let result = f(&mut frame);
        self.0.push_back(frame);
        result
    }
}

impl phy::Device for Frames {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx<'_>)> {
        let frame = self.rx.pop_front()?;
        Some((Rx(frame), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Tx<'_>> {
        // Full: smoltcp keeps the packet in its socket and tries again at the next poll.
        (self.tx.len() < MAX_QUEUED).then_some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.max_frame;
        caps
    }
}

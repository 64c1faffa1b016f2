//! The smoltcp device: two frame queues. Frames the driver delivered wait in `rx` until the
//! interface polls them; frames the interface sends collect in `tx` until the event loop hands
//! them to the driver (netdev SEND). No I/O happens here, so `Interface::poll` never blocks.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

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

//! Received frames waiting for the tcpip server's RECV: a bounded ring; when it is full the
//! oldest frame is dropped (counted), as a NIC drops what nobody takes.
use hayabusa_abi::netdev::MAX_FRAME;

const FRAMES: usize = 32;

pub struct Frames {
    data: [[u8; MAX_FRAME]; FRAMES],
    lens: [u16; FRAMES],
    head: usize,
    len: usize,
    pub dropped: u64,
}

impl Frames {
    pub const fn new() -> Frames {
        Frames { data: [[0; MAX_FRAME]; FRAMES], lens: [0; FRAMES], head: 0, len: 0, dropped: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `frame` (cut to `MAX_FRAME`).
    pub fn push(&mut self, frame: &[u8]) {
        if self.len == FRAMES {
            self.head = (self.head + 1) % FRAMES;
            self.len -= 1;
            self.dropped += 1;
        }
        let at = (self.head + self.len) % FRAMES;
        let n = frame.len().min(MAX_FRAME);
        self.data[at][..n].copy_from_slice(&frame[..n]);
        self.lens[at] = n as u16;
        self.len += 1;
    }

    /// The oldest frame, taken out (valid until the next push).
    pub fn pop(&mut self) -> Option<&[u8]> {
        if self.len == 0 {
            return None;
        }
        let at = self.head;
        self.head = (self.head + 1) % FRAMES;
        self.len -= 1;
        Some(&self.data[at][..usize::from(self.lens[at])])
    }
}

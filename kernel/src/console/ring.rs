//! A fixed-size byte ring for console input: filled from the serial interrupt, drained by the
//! shell. It never allocates, so it is usable in interrupt context.

/// A ring of up to `N - 1` bytes. When full, new bytes are dropped and counted.
pub struct ByteRing<const N: usize> {
    buf: [u8; N],
    head: usize,
    tail: usize,
    dropped: u64,
}

impl<const N: usize> ByteRing<N> {
    pub const fn new() -> Self {
        Self { buf: [0; N], head: 0, tail: 0, dropped: 0 }
    }

    /// Appends `byte`, or drops it when the ring is full.
    pub fn push(&mut self, byte: u8) {
        let next = (self.tail + 1) % N;
        if next == self.head {
            self.dropped += 1;
            return;
        }
        self.buf[self.tail] = byte;
        self.tail = next;
    }

    /// Removes the oldest byte.
    pub fn pop(&mut self) -> Option<u8> {
        if self.head == self.tail {
            return None;
        }
        let byte = self.buf[self.head];
        self.head = (self.head + 1) % N;
        Some(byte)
    }

    /// Bytes dropped because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl<const N: usize> Default for ByteRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRing;

    #[test]
    fn fifo_order_wraparound_and_overflow() {
        let mut r = ByteRing::<4>::new();
        assert_eq!(r.pop(), None);
        for round in 0..5u8 {
            r.push(round);
            r.push(round + 100);
            assert_eq!((r.pop(), r.pop(), r.pop()), (Some(round), Some(round + 100), None));
        }
        for b in 0..5 {
            r.push(b);
        }
        assert_eq!(r.dropped(), 2);
        assert_eq!((r.pop(), r.pop(), r.pop(), r.pop()), (Some(0), Some(1), Some(2), None));
    }
}

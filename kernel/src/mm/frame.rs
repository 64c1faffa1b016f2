//! Physical frame allocator: one bit per 4 KiB frame over the span of usable memory, with
//! counters. Pure bookkeeping over a caller-provided bitmap, so it is tested on the host.

/// Size of a physical frame.
pub const FRAME_SIZE: u64 = 4096;

/// Why a frame could not be freed or reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The address is not 4 KiB aligned.
    Unaligned(u64),
    /// The address lies outside the memory this allocator manages.
    OutOfRange(u64),
    /// The frame is already free (double free).
    AlreadyFree(u64),
}

/// Counters reported by `mem`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameStats {
    /// Frames the boot memory map called usable.
    pub usable: u64,
    /// Frames free right now.
    pub free: u64,
    /// Allocations since boot.
    pub allocations: u64,
    /// Frees since boot.
    pub frees: u64,
}

impl FrameStats {
    /// Frames in use (usable minus free).
    pub fn used(&self) -> u64 {
        self.usable - self.free
    }
}

/// A bitmap frame allocator. A set bit means "in use or not RAM".
pub struct FrameBitmap<'a> {
    words: &'a mut [u64],
    first_frame: u64,
    frames: u64,
    /// Word index where the next search starts.
    hint: usize,
    stats: FrameStats,
}

impl<'a> FrameBitmap<'a> {
    /// Words needed to track `frames` frames.
    pub const fn words_for(frames: u64) -> usize {
        frames.div_ceil(64) as usize
    }

    /// Creates an allocator for frames `[first_addr, first_addr + frames * 4 KiB)` with every
    /// frame marked used; `add_free` then hands usable ranges over.
    pub fn new(words: &'a mut [u64], first_addr: u64, frames: u64) -> Self {
        assert!(first_addr.is_multiple_of(FRAME_SIZE), "first frame must be aligned");
        assert!(words.len() >= Self::words_for(frames), "bitmap too small");
        words.fill(u64::MAX);
        Self { words, first_frame: first_addr / FRAME_SIZE, frames, hint: 0, stats: FrameStats::default() }
    }

    fn index(&self, addr: u64) -> Result<u64, FrameError> {
        if !addr.is_multiple_of(FRAME_SIZE) {
            return Err(FrameError::Unaligned(addr));
        }
        let frame = addr / FRAME_SIZE;
        if frame < self.first_frame || frame - self.first_frame >= self.frames {
            return Err(FrameError::OutOfRange(addr));
        }
        Ok(frame - self.first_frame)
    }

    fn is_set(&self, i: u64) -> bool {
        self.words[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    fn set(&mut self, i: u64, used: bool) {
        let word = &mut self.words[(i / 64) as usize];
        if used { *word |= 1 << (i % 64) } else { *word &= !(1 << (i % 64)) }
    }

    /// Marks the whole frames inside `[start, end)` usable and free. Partial frames at either
    /// end and frames outside the managed span are ignored. Returns how many were added.
    pub fn add_free(&mut self, start: u64, end: u64) -> u64 {
        let first = start.div_ceil(FRAME_SIZE).max(self.first_frame);
        let last = (end / FRAME_SIZE).min(self.first_frame + self.frames);
        let mut added = 0;
        for frame in first..last {
            let i = frame - self.first_frame;
            if self.is_set(i) {
                self.set(i, false);
                added += 1;
            }
        }
        self.stats.usable += added;
        self.stats.free += added;
        added
    }

    /// Marks a free frame used without counting it as an allocation (for memory the kernel
    /// takes for itself while booting, like the bitmap's own frames).
    pub fn reserve(&mut self, addr: u64) -> Result<(), FrameError> {
        let i = self.index(addr)?;
        if !self.is_set(i) {
            self.set(i, true);
            self.stats.free -= 1;
        }
        Ok(())
    }

    /// Allocates one frame and returns its physical address.
    pub fn alloc(&mut self) -> Option<u64> {
        let n = self.words.len().min(Self::words_for(self.frames));
        for k in 0..n {
            let w = (self.hint + k) % n;
            let word = self.words[w];
            if word == u64::MAX {
                continue;
            }
            let i = w as u64 * 64 + u64::from((!word).trailing_zeros());
            if i >= self.frames {
                continue;
            }
            self.set(i, true);
            self.hint = w;
            self.stats.free -= 1;
            self.stats.allocations += 1;
            return Some((self.first_frame + i) * FRAME_SIZE);
        }
        None
    }

    /// Allocates `n` physically contiguous frames (for a device's DMA) and returns the address
    /// of the first. First fit from the lowest address.
    pub fn alloc_contiguous(&mut self, n: u64) -> Option<u64> {
        if n == 0 || n > self.stats.free {
            return None;
        }
        let mut run = 0;
        for i in 0..self.frames {
            if self.is_set(i) {
                run = 0;
                continue;
            }
            run += 1;
            if run == n {
                let first = i + 1 - n;
                for j in first..=i {
                    self.set(j, true);
                }
                self.stats.free -= n;
                self.stats.allocations += n;
                return Some((self.first_frame + first) * FRAME_SIZE);
            }
        }
        None
    }

    /// Returns a frame to the allocator.
    pub fn free(&mut self, addr: u64) -> Result<(), FrameError> {
        let i = self.index(addr)?;
        if !self.is_set(i) {
            return Err(FrameError::AlreadyFree(addr));
        }
        self.set(i, false);
        self.stats.free += 1;
        self.stats.frees += 1;
        Ok(())
    }

    /// Current counters.
    pub fn stats(&self) -> FrameStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn contiguous_runs_skip_used_frames() {
        let mut words = Vec::new();
        let mut b = bitmap(&mut words, 256);
        b.add_free(0x10_0000, 0x10_0000 + 256 * FRAME_SIZE);
        let one = b.alloc().unwrap();
        assert_eq!(one, 0x10_0000);
        let two = b.alloc().unwrap();
        b.free(one).unwrap();
        // Frame 0 is free again but alone: a run of 3 starts after frame 1.
        assert_eq!(b.alloc_contiguous(3), Some(two + FRAME_SIZE));
        assert_eq!(b.alloc_contiguous(1), Some(one));
        assert_eq!(b.stats().free, 256 - 5);
        assert_eq!(b.alloc_contiguous(252), None, "only 251 frames are free");
        assert_eq!(b.alloc_contiguous(251), Some(two + 4 * FRAME_SIZE));
        assert_eq!(b.alloc_contiguous(0), None);
    }

    fn bitmap(words: &mut Vec<u64>, frames: u64) -> FrameBitmap<'_> {
        words.resize(FrameBitmap::words_for(frames), 0);
        FrameBitmap::new(words, 0x10_0000, frames)
    }

    #[test]
    fn starts_full_and_adds_only_whole_frames() {
        let mut w = vec![];
        let mut fb = bitmap(&mut w, 100);
        assert_eq!(fb.alloc(), None);
        // Half a frame at each end is not usable.
        assert_eq!(fb.add_free(0x10_0800, 0x10_3800), 2);
        assert_eq!(fb.stats(), FrameStats { usable: 2, free: 2, allocations: 0, frees: 0 });
        // Outside the span: ignored.
        assert_eq!(fb.add_free(0, 0x10_0000), 0);
        assert_eq!(fb.add_free(0x10_0000 + 100 * 4096, 0x20_0000_0000), 0);
    }

    #[test]
    fn alloc_free_counts_and_double_free() {
        let mut w = vec![];
        let mut fb = bitmap(&mut w, 200);
        fb.add_free(0x10_0000, 0x10_0000 + 200 * 4096);
        let mut got: Vec<u64> = (0..200).map(|_| fb.alloc().unwrap()).collect();
        assert_eq!(fb.alloc(), None);
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 200, "every frame handed out once");
        assert!(got.iter().all(|a| a % 4096 == 0 && *a >= 0x10_0000));
        assert_eq!(fb.stats().used(), 200);
        fb.free(got[17]).unwrap();
        assert_eq!(fb.free(got[17]), Err(FrameError::AlreadyFree(got[17])));
        assert_eq!(fb.alloc(), Some(got[17]));
        let s = fb.stats();
        assert_eq!((s.allocations, s.frees, s.free), (201, 1, 0));
    }

    #[test]
    fn rejects_foreign_addresses() {
        let mut w = vec![];
        let mut fb = bitmap(&mut w, 10);
        fb.add_free(0x10_0000, 0x10_0000 + 10 * 4096);
        assert_eq!(fb.free(0x10_0001), Err(FrameError::Unaligned(0x10_0001)));
        assert_eq!(fb.free(0x1000), Err(FrameError::OutOfRange(0x1000)));
        assert_eq!(fb.free(0x10_0000 + 10 * 4096), Err(FrameError::OutOfRange(0x10_0000 + 10 * 4096)));
    }

    #[test]
    fn reserve_takes_frames_without_counting_allocations() {
        let mut w = vec![];
        let mut fb = bitmap(&mut w, 64);
        fb.add_free(0x10_0000, 0x10_0000 + 64 * 4096);
        fb.reserve(0x10_0000).unwrap();
        fb.reserve(0x10_0000).unwrap();
        let s = fb.stats();
        assert_eq!((s.usable, s.free, s.allocations), (64, 63, 0));
        assert_ne!(fb.alloc(), Some(0x10_0000));
    }

    #[test]
    fn holes_stay_used() {
        let mut w = vec![];
        let mut fb = bitmap(&mut w, 130);
        fb.add_free(0x10_0000, 0x10_0000 + 4096);
        fb.add_free(0x10_0000 + 129 * 4096, 0x10_0000 + 130 * 4096);
        let a = fb.alloc().unwrap();
        let b = fb.alloc().unwrap();
        assert_eq!(fb.alloc(), None);
        assert_eq!((a.min(b), a.max(b)), (0x10_0000, 0x10_0000 + 129 * 4096));
    }
}

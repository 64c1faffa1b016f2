//! The kernel heap: `talc` as the global allocator over a virtual area that grows on demand,
//! one batch of freshly mapped pages at a time.
use core::alloc::Layout;
use core::ptr::NonNull;

use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

use super::layout::{HEAP_MAX, HEAP_START};

/// Smallest amount the heap grows by.
const GROW_MIN: u64 = 1 << 20;

/// Memory source for talc: maps more of the heap area when talc runs out.
#[derive(Debug)]
pub struct HeapSource {
    mapped_end: u64,
    /// Where talc's heap ends (an address; `NonNull` is not `Send`).
    heap_end: Option<usize>,
}

// SAFETY: `acquire` only claims or extends memory it has just mapped (fresh frames, exclusive
// to the heap), never touches the `TalcLock` that owns it, and never allocates.
unsafe impl Source for HeapSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let need = (layout.size() + layout.align() + 4096) as u64;
        let grow = need.max(GROW_MIN).next_multiple_of(4096);
        let old_end = talc.source.mapped_end.max(HEAP_START);
        let new_end = old_end.checked_add(grow).ok_or(())?;
        if new_end > HEAP_START + HEAP_MAX {
            return Err(());
        }
        super::map_heap(old_end, new_end).map_err(|_| ())?;
        talc.source.mapped_end = new_end;
        let end = new_end as *mut u8;
        let heap_end = match talc.source.heap_end {
            // SAFETY: [HEAP_START, new_end) was just mapped read-write and belongs to nobody else.
            None => unsafe { talc.claim(HEAP_START as *mut u8, (new_end - HEAP_START) as usize) }.ok_or(())?,
            // SAFETY: the heap ends at `old_end` and [old_end, new_end) was just mapped for it.
            Some(old) => unsafe { talc.extend(NonNull::new(old as *mut u8).ok_or(())?, end) },
        };
        talc.source.heap_end = Some(heap_end.as_ptr() as usize);
        Ok(())
    }
}

type Heap = talc::TalcLock<crate::arch::irqlock::IrqSpinlock, HeapSource>;

#[cfg_attr(target_os = "none", global_allocator)]
static HEAP: Heap = Heap::new(HeapSource { mapped_end: 0, heap_end: None });

/// Heap counters for `mem`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapStats {
    /// Bytes mapped for the heap so far.
    pub mapped: u64,
    /// Bytes in live allocations.
    pub used: u64,
    /// Bytes free inside the mapped heap.
    pub free: u64,
    /// Live allocations.
    pub allocations: u64,
}

/// Current heap counters.
pub fn stats() -> HeapStats {
    let talc = HEAP.lock();
    let c = talc.counters();
    HeapStats {
        mapped: talc.source.mapped_end.saturating_sub(HEAP_START),
        used: c.allocated_bytes as u64,
        free: c.available_bytes as u64,
        allocations: c.allocation_count as u64,
    }
}

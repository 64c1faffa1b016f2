//! Page-table helpers over the active level-4 table, reached through the physical-memory
//! mapping: map, unmap and protect 4 KiB kernel pages, and tear down sparse ranges cheaply.
use ::x86_64::structures::paging::mapper::{CleanUp, MapToError, TranslateResult, UnmapError};
use ::x86_64::structures::paging::page_table::PageTableEntry;
use ::x86_64::structures::paging::{
    FrameAllocator, FrameDeallocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame,
    Size4KiB, Translate,
};
use ::x86_64::{PhysAddr, VirtAddr};

use super::frame::FrameBitmap;

/// Flags for ordinary kernel data pages.
pub const DATA: PageTableFlags =
    PageTableFlags::PRESENT.union(PageTableFlags::WRITABLE).union(PageTableFlags::NO_EXECUTE);
/// Flags for compiled code: readable and executable, never writable.
pub const CODE: PageTableFlags = PageTableFlags::PRESENT;
/// Flags for device registers.
pub const MMIO: PageTableFlags = DATA.union(PageTableFlags::NO_CACHE).union(PageTableFlags::WRITE_THROUGH);
/// Marks a page whose frame is not the kernel's to free (device registers mapped into a task's
/// linear memory): [`PageTables::unmap_range`] unmaps it without freeing or counting it.
pub const NOT_OURS: PageTableFlags = PageTableFlags::BIT_9;
/// Device registers inside a task's linear memory.
pub const MMIO_IN_TASK: PageTableFlags = MMIO.union(NOT_OURS);

/// Why a mapping request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    OutOfFrames,
    AlreadyMapped(u64),
    NotMapped(u64),
    HugePage(u64),
    Unaligned(u64),
}

// SAFETY: `alloc` hands out each frame at most once until it is freed again, and only frames
// the boot memory map called usable, so a frame returned here is unused.
unsafe impl FrameAllocator<Size4KiB> for FrameBitmap<'_> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        self.alloc().map(|a| PhysFrame::containing_address(PhysAddr::new(a)))
    }
}

impl FrameDeallocator<Size4KiB> for FrameBitmap<'_> {
    unsafe fn deallocate_frame(&mut self, frame: PhysFrame<Size4KiB>) {
        // A frame that is not ours, or already free, is a bookkeeping bug worth shouting about,
        // but not worth crashing the kernel for.
        if let Err(e) = self.free(frame.start_address().as_u64()) {
            log::error!("page-table frame release failed: {e:?}");
        }
    }
}

/// The active page tables.
pub struct PageTables {
    mapper: OffsetPageTable<'static>,
    phys_offset: u64,
}

fn page(va: u64) -> Result<Page<Size4KiB>, MapError> {
    Page::from_start_address(VirtAddr::try_new(va).map_err(|_| MapError::Unaligned(va))?)
        .map_err(|_| MapError::Unaligned(va))
}

impl PageTables {
    /// Takes over the page tables CR3 points at.
    ///
    /// # Safety
    /// All physical memory must be mapped at `phys_offset`, and no other `PageTables` may exist.
    pub unsafe fn active(phys_offset: u64) -> Self {
        let (frame, _) = ::x86_64::registers::control::Cr3::read();
        let table = (phys_offset + frame.start_address().as_u64()) as *mut PageTable;
        // SAFETY: the caller guarantees the physical map, so `table` is the live level-4 table,
        // and that this is its only owner.
        let mapper = unsafe { OffsetPageTable::new(&mut *table, VirtAddr::new(phys_offset)) };
        Self { mapper, phys_offset }
    }

    /// Where all physical memory is mapped.
    pub fn phys_offset(&self) -> u64 {
        self.phys_offset
    }

    /// Maps the page at `va` to the frame at `pa`.
    pub fn map(&mut self, va: u64, pa: u64, flags: PageTableFlags, frames: &mut FrameBitmap) -> Result<(), MapError> {
        let frame = PhysFrame::from_start_address(PhysAddr::new(pa)).map_err(|_| MapError::Unaligned(pa))?;
        // SAFETY: callers map either fresh frames from the allocator or device/firmware frames
        // the allocator never hands out, at addresses in the kernel's own areas (see layout), so
        // no existing Rust reference is invalidated.
        let flush = unsafe { self.mapper.map_to(page(va)?, frame, flags, frames) }.map_err(|e| match e {
            MapToError::FrameAllocationFailed => MapError::OutOfFrames,
            MapToError::PageAlreadyMapped(_) => MapError::AlreadyMapped(va),
            MapToError::ParentEntryHugePage => MapError::HugePage(va),
        })?;
        flush.flush();
        Ok(())
    }

    /// Maps a freshly allocated, zeroed frame at `va`.
    pub fn map_zeroed(&mut self, va: u64, flags: PageTableFlags, frames: &mut FrameBitmap) -> Result<(), MapError> {
        let pa = frames.alloc().ok_or(MapError::OutOfFrames)?;
        // SAFETY: `pa` was just allocated, so nothing else uses it, and it lies in RAM covered by
        // the physical map.
        unsafe { core::ptr::write_bytes((self.phys_offset + pa) as *mut u8, 0, 4096) };
        self.map(va, pa, flags, frames).inspect_err(|_| {
            let _ = frames.free(pa);
        })
    }

    /// Unmaps `va` and returns the frame it pointed at (the caller decides whether to free it).
    pub fn unmap(&mut self, va: u64) -> Result<u64, MapError> {
        let (frame, flush) = self.mapper.unmap(page(va)?).map_err(|e| match e {
            UnmapError::ParentEntryHugePage => MapError::HugePage(va),
            _ => MapError::NotMapped(va),
        })?;
        flush.flush();
        Ok(frame.start_address().as_u64())
    }

    /// Changes the flags of the mapped page at `va`.
    pub fn protect(&mut self, va: u64, flags: PageTableFlags) -> Result<(), MapError> {
        // SAFETY: only the protection of an existing kernel-area mapping changes; callers do not
        // hold references into pages they make read-only or non-present.
        let flush = unsafe { self.mapper.update_flags(page(va)?, flags) }.map_err(|_| MapError::NotMapped(va))?;
        flush.flush();
        Ok(())
    }

    /// The physical address and flags `va` maps to, if mapped (by a page of any size).
    pub fn translate(&self, va: u64) -> Option<(u64, PageTableFlags)> {
        match self.mapper.translate(VirtAddr::try_new(va).ok()?) {
            TranslateResult::Mapped { frame, offset, flags } => Some((frame.start_address().as_u64() + offset, flags)),
            _ => None,
        }
    }

    /// Unmaps every 4 KiB page present in `[start, end)` and frees its frame (unless marked
    /// [`NOT_OURS`]), skipping whole absent subtrees, then frees page tables left empty. Returns
    /// the number of frames freed.
    /// Cost grows with the pages actually mapped, not with the size of the range.
    pub fn unmap_range(&mut self, start: u64, end: u64, frames: &mut FrameBitmap) -> u64 {
        let mut unmapped = 0;
        let mut va = start;
        while va < end {
            match self.leaf_entry(va) {
                Walk::Absent(span) => va = (va & !(span - 1)) + span,
                Walk::Leaf(entry) => {
                    let pa = entry.addr().as_u64();
                    let ours = !entry.flags().contains(NOT_OURS);
                    entry.set_unused();
                    ::x86_64::instructions::tlb::flush(VirtAddr::new(va));
                    if ours {
                        if let Err(e) = frames.free(pa) {
                            log::error!("unmap_range: frame {pa:#x} at {va:#x}: {e:?}");
                        }
                        unmapped += 1;
                    }
                    va += 4096;
                }
            }
        }
        let range = Page::range_inclusive(
            Page::containing_address(VirtAddr::new(start)),
            Page::containing_address(VirtAddr::new(end - 1)),
        );
        // SAFETY: every leaf in the range was just unmapped, so the tables freed here are empty
        // and referenced only by the entries `clean_up_addr_range` clears.
        unsafe { self.mapper.clean_up_addr_range(range, frames) };
        unmapped
    }

    fn leaf_entry(&mut self, va: u64) -> Walk<'_> {
        let addr = VirtAddr::new(va);
        let indices = [addr.p4_index(), addr.p3_index(), addr.p2_index(), addr.p1_index()];
        let spans = [1u64 << 39, 1 << 30, 1 << 21, 1 << 12];
        let mut table: *mut PageTable = self.mapper.level_4_table_mut();
        for level in 0..4 {
            // SAFETY: `table` is the level-4 table or a lower table reached through present,
            // non-huge entries, all inside the physical map; `&mut self` makes this the only
            // access path for the walk's duration.
            let entry = unsafe { &mut (&mut *table)[indices[level]] };
            let flags = entry.flags();
            if !flags.contains(PageTableFlags::PRESENT) || (level < 3 && flags.contains(PageTableFlags::HUGE_PAGE)) {
                return Walk::Absent(spans[level]);
            }
            if level == 3 {
                return Walk::Leaf(entry);
            }
            table = (self.phys_offset + entry.addr().as_u64()) as *mut PageTable;
        }
        unreachable!("a 4-level walk ends at level 1")
    }
}

enum Walk<'a> {
    /// Nothing mapped in the naturally aligned span of this size around the address.
    Absent(u64),
    Leaf(&'a mut PageTableEntry),
}

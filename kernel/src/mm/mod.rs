//! Memory management: physical frames, the kernel's page tables, the heap, and lazily mapped
//! virtual reservations (the future home of each Wasm linear memory).
pub mod commit;
pub mod frame;
pub mod heap;
pub mod layout;
pub mod paging;
pub mod reserve;
pub mod window;

use core::sync::atomic::{AtomicU64, Ordering};

use bootloader_api::info::{MemoryRegionKind, MemoryRegions};

use crate::arch::irqlock::IrqMutex;
use x86_64::structures::idt::PageFaultErrorCode;

use commit::Commit;
use frame::{FrameBitmap, FrameStats};
use paging::{MapError, PageTables};
pub use reserve::ReserveError;
use reserve::Reservations;

struct Memory {
    frames: FrameBitmap<'static>,
    tables: PageTables,
    mmio_next: u64,
    commit: Commit,
}

/// Frames kept for the kernel heap (16 MiB): tasks can neither be promised nor have mapped for
/// them the last this many frames (see [`commit`]).
pub const HEAP_RESERVE_FRAMES: u64 = 4096;

/// Page-table frames an eager mapping of a few pages may need besides its pages.
const TABLE_SLACK: u64 = 4;

/// Frames an eager mapping of `pages` pages may take: the pages and their page tables.
fn with_tables(pages: u64) -> u64 {
    pages + pages.div_ceil(512) + TABLE_SLACK
}

impl Memory {
    fn free(&self) -> u64 {
        self.frames.stats().free
    }

    /// Whether `pages` pages may be mapped now for a task (stacks, code, device windows).
    fn fits_for_task(&self, pages: u64) -> bool {
        self.commit.may_map_for_task(self.free(), with_tables(pages))
    }
}

static MEMORY: IrqMutex<Option<Memory>> = IrqMutex::new(None);
static RESERVATIONS: IrqMutex<Reservations> = IrqMutex::new(Reservations::new(layout::RESERVE_START, layout::RESERVE_END));
static CODE_AREA: IrqMutex<Reservations> = IrqMutex::new(Reservations::new(layout::CODE_START, layout::CODE_END));
static LAZY_FAULTS: AtomicU64 = AtomicU64::new(0);

fn with_memory<R>(f: impl FnOnce(&mut Memory) -> R) -> R {
    f(MEMORY.lock().as_mut().expect("mm::init has not run"))
}

/// Sets up the frame allocator over the usable regions of the boot memory map and takes over
/// the active page tables. Must run before the first heap allocation.
pub fn init(regions: &MemoryRegions, phys_offset: u64) {
    assert_eq!(phys_offset, layout::PHYS_MAP_START, "bootloader mapped physical memory elsewhere");
    let usable = || regions.iter().filter(|r| r.kind == MemoryRegionKind::Usable && r.end > 0x10_0000);
    let low = usable().map(|r| r.start.max(0x10_0000)).min().expect("no usable memory") & !0xfff;
    let high = usable().map(|r| r.end).max().expect("no usable memory");
    let frame_count = (high - low).div_ceil(frame::FRAME_SIZE);
    let words = FrameBitmap::words_for(frame_count);
    let bitmap_bytes = (words as u64 * 8).next_multiple_of(4096);
    let home = usable()
        .find(|r| r.end - r.start.max(low) >= bitmap_bytes)
        .expect("no usable region can hold the frame bitmap");
    let home_start = home.start.max(low).next_multiple_of(4096);
    // SAFETY: [home_start, home_start + bitmap_bytes) is usable RAM that nothing uses yet (the
    // frame allocator does not exist yet and reserves these frames below before handing any out),
    // reached through the physical map; the slice lives for the kernel's lifetime.
    let words_slice = unsafe { core::slice::from_raw_parts_mut((phys_offset + home_start) as *mut u64, words) };
    let mut frames = FrameBitmap::new(words_slice, low, frame_count);
    for region in usable() {
        frames.add_free(region.start, region.end);
    }
    for pa in (home_start..home_start + bitmap_bytes).step_by(4096) {
        frames.reserve(pa).expect("bitmap frame inside the managed span");
    }
    crate::arch::cpu::enable_page_protections();
    // SAFETY: the bootloader mapped all physical memory at `phys_offset` (asserted above) and
    // this is the only place that builds a `PageTables`.
    let tables = unsafe { PageTables::active(phys_offset) };
    *MEMORY.lock() = Some(Memory { frames, tables, mmio_next: layout::MMIO_START, commit: Commit::new(HEAP_RESERVE_FRAMES) });
}

/// Maps [start, end) of the heap area to fresh frames (called by the heap's memory source).
fn map_heap(start: u64, end: u64) -> Result<(), MapError> {
    with_memory(|m| {
        let pages = (end - start) / 4096;
        if !m.commit.may_map_for_heap(m.free(), with_tables(pages)) {
            return Err(MapError::OutOfFrames);
        }
        for va in (start..end).step_by(4096) {
            m.tables.map_zeroed(va, paging::DATA, &mut m.frames)?;
        }
        Ok(())
    })
}

/// Maps `size` bytes of device registers at physical `phys` uncached and returns the virtual
/// address corresponding to `phys`.
pub fn map_mmio(phys: u64, size: u64) -> Result<u64, MapError> {
    with_memory(|m| {
        let first = phys & !0xfff;
        let pages = (phys + size - first).div_ceil(4096);
        let base = m.mmio_next;
        if base + pages * 4096 > layout::MMIO_END || !m.fits_for_task(pages) {
            return Err(MapError::OutOfFrames);
        }
        for i in 0..pages {
            m.tables.map(base + i * 4096, first + i * 4096, paging::MMIO, &mut m.frames)?;
        }
        m.mmio_next = base + pages * 4096;
        Ok(base + (phys - first))
    })
}

/// Resolves a page fault on a not-present page inside the accessible part of a reservation by
/// mapping a zeroed frame, one promised when the page was made accessible (so a frame is there).
/// Returns false when the fault is not ours to fix. Never blocks: if the memory manager is busy
/// (a fault inside it), the fault is reported as unhandled.
pub fn handle_page_fault(addr: u64, code: PageFaultErrorCode) -> bool {
    if code.contains(PageFaultErrorCode::PROTECTION_VIOLATION) {
        return false;
    }
    let Some(page) = RESERVATIONS.try_lock().and_then(|r| r.lazy_page(addr)) else { return false };
    let Some(mut guard) = MEMORY.try_lock() else { return false };
    let Some(m) = guard.as_mut() else { return false };
    match m.tables.map_zeroed(page, paging::DATA, &mut m.frames) {
        Ok(()) => {
            m.commit.page_mapped();
            LAZY_FAULTS.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(_) => false,
    }
}

/// A virtual range. A lazy one maps the pages of its accessible prefix (zeroed) on first touch,
/// with frames promised when they became accessible; touching the rest faults. A stack is mapped
/// in full when made. Dropping it unmaps whatever is mapped and returns the promises.
#[derive(Debug)]
pub struct Reservation {
    start: u64,
    len: u64,
    lazy: bool,
}

impl Reservation {
    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes the first `bytes` of a lazy reservation touchable. Growing promises frames for the
    /// new pages, or fails with [`ReserveError::OutOfMemory`] (nothing changed) when tasks may
    /// not have that many more; shrinking unmaps the pages beyond and returns their promises.
    pub fn set_accessible(&self, bytes: u64) -> Result<(), ReserveError> {
        assert!(self.lazy, "a stack's accessible part is fixed");
        let mut regions = RESERVATIONS.lock();
        let old = regions.find(self.start).ok_or(ReserveError::NotFound(self.start))?.accessible;
        if bytes > old {
            if bytes > self.len {
                return Err(ReserveError::BadSize);
            }
            if !with_memory(|m| m.commit.grow(m.free(), old, bytes)) {
                return Err(ReserveError::OutOfMemory);
            }
            regions.set_accessible(self.start, bytes)?;
        } else if bytes < old {
            // Out of the table first, so no fault maps a page behind the unmapping.
            regions.set_accessible(self.start, bytes)?;
            let from = (self.start + bytes).next_multiple_of(4096);
            with_memory(|m| {
                let unmapped = m.tables.unmap_range(from, self.start + old, &mut m.frames);
                m.commit.shrink(old, bytes, unmapped);
            });
        }
        Ok(())
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let released = RESERVATIONS.lock().release(self.start);
        if let Ok(region) = released {
            with_memory(|m| {
                let unmapped = m.tables.unmap_range(region.start, region.start + region.len, &mut m.frames);
                if self.lazy {
                    m.commit.shrink(region.accessible, 0, unmapped);
                }
            });
        }
    }
}

/// Reserves `len` bytes of virtual address space (rounded up to 4 KiB) of which the first
/// `accessible` bytes may be touched: promised frames now, mapped when touched. Fails with
/// [`ReserveError::OutOfMemory`] when tasks may not be promised that many frames.
pub fn reserve(len: u64, accessible: u64) -> Result<Reservation, ReserveError> {
    let len = len.next_multiple_of(4096);
    let start = RESERVATIONS.lock().reserve(len, 0)?;
    // From here on, dropping `reservation` releases the range (and its promises).
    let reservation = Reservation { start, len, lazy: true };
    reservation.set_accessible(accessible)?;
    Ok(reservation)
}

/// A kernel stack of `size` bytes above a `guard`-byte guard, all of it mapped now: a stack
/// cannot be mapped lazily, because the CPU needs the faulting stack to report the fault.
/// Returns the reservation; the stack's top is `start + len`.
pub fn reserve_stack(size: u64, guard: u64) -> Result<Reservation, ReserveError> {
    let (size, guard) = (size.next_multiple_of(4096), guard.next_multiple_of(4096));
    let len = size + guard;
    let start = RESERVATIONS.lock().reserve_guarded(len, guard, len)?;
    let reservation = Reservation { start, len, lazy: false };
    let mapped = with_memory(|m| {
        if !m.fits_for_task(size / 4096) {
            return Err(MapError::OutOfFrames);
        }
        (start + guard..start + len).step_by(4096).try_for_each(|va| m.tables.map_zeroed(va, paging::DATA, &mut m.frames))
    });
    // On failure, dropping the reservation unmaps what was mapped.
    mapped.map_err(|_| ReserveError::OutOfMemory)?;
    Ok(reservation)
}

/// Executable memory holding a copy of some machine code, mapped read + execute (never
/// writable and executable at once) until dropped.
#[derive(Debug)]
pub struct CodeMapping {
    start: u64,
    len: u64,
}

impl CodeMapping {
    /// Address of the first code byte.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Bytes mapped (a multiple of 4 KiB).
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for CodeMapping {
    fn drop(&mut self) {
        with_memory(|m| m.tables.unmap_range(self.start, self.start + self.len, &mut m.frames));
        let _ = CODE_AREA.lock().release(self.start);
    }
}

/// Copies `code` into fresh pages of the code area and maps them read + execute.
pub fn map_code(code: &[u8]) -> Result<CodeMapping, MapError> {
    let len = (code.len() as u64).max(1).next_multiple_of(4096);
    let start = CODE_AREA.lock().reserve(len, 0).map_err(|_| MapError::OutOfFrames)?;
    // From here on, dropping `mapping` undoes whatever was mapped.
    let mapping = CodeMapping { start, len };
    with_memory(|m| -> Result<(), MapError> {
        if !m.fits_for_task(len / 4096) {
            return Err(MapError::OutOfFrames);
        }
        for (i, va) in (start..start + len).step_by(4096).enumerate() {
            m.tables.map_zeroed(va, paging::DATA, &mut m.frames)?;
            let (pa, _) = m.tables.translate(va).ok_or(MapError::NotMapped(va))?;
            let chunk = code.get(i * 4096..).unwrap_or_default();
            let chunk = &chunk[..chunk.len().min(4096)];
            // SAFETY: `pa` is the frame just mapped at `va`, reached through the physical map; it
            // is 4 KiB and `chunk` at most that, and nothing else refers to the fresh frame.
            unsafe { core::ptr::copy_nonoverlapping(chunk.as_ptr(), (layout::PHYS_MAP_START + pa) as *mut u8, chunk.len()) };
            m.tables.protect(va, paging::CODE)?;
        }
        Ok(())
    })?;
    Ok(mapping)
}

/// Memory counters for `mem`.
#[derive(Clone, Copy, Debug)]
pub struct MemStats {
    pub frames: FrameStats,
    pub heap: heap::HeapStats,
    pub reservations: usize,
    pub reserved_bytes: u64,
    pub lazy_faults: u64,
    /// Frames promised to linear memories and not yet mapped.
    pub promised: u64,
    /// Frames tasks may still be promised or have mapped for them (free, minus the promises and
    /// the heap's reserve).
    pub for_tasks: u64,
}

/// Current memory counters.
pub fn stats() -> MemStats {
    let heap = heap::stats();
    let (frames, promised, for_tasks) = with_memory(|m| (m.frames.stats(), m.commit.outstanding(), m.commit.available(m.free())));
    let (reservations, reserved_bytes) = {
        let r = RESERVATIONS.lock();
        (r.count(), r.reserved_bytes())
    };
    let lazy_faults = LAZY_FAULTS.load(Ordering::Relaxed);
    MemStats { frames, heap, reservations, reserved_bytes, lazy_faults, promised, for_tasks }
}

/// Makes the mapped kernel page at `va` read-only or read-write again.
pub fn protect(va: u64, writable: bool) -> Result<(), MapError> {
    let flags = if writable { paging::DATA } else { paging::DATA.difference(x86_64::structures::paging::PageTableFlags::WRITABLE) };
    with_memory(|m| m.tables.protect(va & !0xfff, flags))
}

/// Whether `va` is mapped, and writable.
pub fn probe(va: u64) -> Option<bool> {
    with_memory(|m| m.tables.translate(va)).map(|(_, f)| f.contains(x86_64::structures::paging::PageTableFlags::WRITABLE))
}

/// Borrows memory the bootloader handed over and the frame allocator never manages (the
/// kernel ELF file, the ramdisk): `[virt, virt + len)` must be mapped, and when it lies in the
/// physical map it must not be usable RAM. Returns `None` otherwise.
pub fn boot_data(virt: u64, len: u64, regions: &MemoryRegions) -> Option<&'static [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    let end = virt.checked_add(len)?;
    let mapped = (virt & !0xfff..end).step_by(4096).all(|va| probe(va).is_some());
    let in_phys_map = (layout::PHYS_MAP_START..layout::RESERVE_START).contains(&virt);
    let touches_usable = in_phys_map && {
        let (pa, pa_end) = (virt - layout::PHYS_MAP_START, end - layout::PHYS_MAP_START);
        regions.iter().any(|r| r.kind == MemoryRegionKind::Usable && r.start < pa_end && pa < r.end)
    };
    if !mapped || touches_usable {
        return None;
    }
    // SAFETY: every page of the range is mapped (checked above) and it is either bootloader
    // memory outside the frame allocator's usable set or a bootloader mapping (ramdisk), so
    // nothing frees or writes it while the kernel runs.
    Some(unsafe { core::slice::from_raw_parts(virt as *const u8, len as usize) })
}

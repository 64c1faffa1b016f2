//! Memory management: physical frames, the kernel's page tables, the heap, and lazily mapped
//! virtual reservations (the future home of each Wasm linear memory).
pub mod frame;
pub mod heap;
pub mod layout;
pub mod paging;
pub mod reserve;

use core::sync::atomic::{AtomicU64, Ordering};

use bootloader_api::info::{MemoryRegionKind, MemoryRegions};

use crate::arch::irqlock::IrqMutex;
use x86_64::structures::idt::PageFaultErrorCode;

use frame::{FrameBitmap, FrameStats};
use paging::{MapError, PageTables};
pub use reserve::ReserveError;
use reserve::Reservations;

struct Memory {
    frames: FrameBitmap<'static>,
    tables: PageTables,
    mmio_next: u64,
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
    *MEMORY.lock() = Some(Memory { frames, tables, mmio_next: layout::MMIO_START });
}

/// Maps [start, end) of the heap area to fresh frames (called by the heap's memory source).
fn map_heap(start: u64, end: u64) -> Result<(), MapError> {
    with_memory(|m| {
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
        if base + pages * 4096 > layout::MMIO_END {
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
/// mapping a zeroed frame. Returns false when the fault is not ours to fix. Never blocks: if the
/// memory manager is busy (a fault inside it), the fault is reported as unhandled.
pub fn handle_page_fault(addr: u64, code: PageFaultErrorCode) -> bool {
    if code.contains(PageFaultErrorCode::PROTECTION_VIOLATION) {
        return false;
    }
    let Some(page) = RESERVATIONS.try_lock().and_then(|r| r.lazy_page(addr)) else { return false };
    let Some(mut guard) = MEMORY.try_lock() else { return false };
    let Some(m) = guard.as_mut() else { return false };
    match m.tables.map_zeroed(page, paging::DATA, &mut m.frames) {
        Ok(()) => {
            LAZY_FAULTS.fetch_add(1, Ordering::Relaxed);
            true
        }
        Err(_) => false,
    }
}

/// A lazily mapped virtual range. Pages in its accessible prefix are mapped (zeroed) on first
/// touch; touching the rest faults. Dropping it unmaps whatever was touched.
#[derive(Debug)]
pub struct Reservation {
    start: u64,
    len: u64,
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

    /// Makes the first `bytes` touchable. Shrinking unmaps the pages beyond.
    pub fn set_accessible(&self, bytes: u64) -> Result<(), ReserveError> {
        let old = RESERVATIONS.lock().set_accessible(self.start, bytes)?;
        if bytes < old {
            let from = (self.start + bytes).next_multiple_of(4096);
            with_memory(|m| m.tables.unmap_range(from, self.start + old, &mut m.frames));
        }
        Ok(())
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let released = RESERVATIONS.lock().release(self.start);
        if let Ok(region) = released {
            with_memory(|m| m.tables.unmap_range(region.start, region.start + region.len, &mut m.frames));
        }
    }
}

/// Reserves `len` bytes of virtual address space (rounded up to 4 KiB) of which the first
/// `accessible` bytes may be touched. No page is mapped until it is touched.
pub fn reserve(len: u64, accessible: u64) -> Result<Reservation, ReserveError> {
    let len = len.next_multiple_of(4096);
    let start = RESERVATIONS.lock().reserve(len, accessible)?;
    Ok(Reservation { start, len })
}

/// A kernel stack of `size` bytes above a `guard`-byte guard, all of it mapped now: a stack
/// cannot be mapped lazily, because the CPU needs the faulting stack to report the fault.
/// Returns the reservation; the stack's top is `start + len`.
pub fn reserve_stack(size: u64, guard: u64) -> Result<Reservation, ReserveError> {
    let (size, guard) = (size.next_multiple_of(4096), guard.next_multiple_of(4096));
    let len = size + guard;
    let start = RESERVATIONS.lock().reserve_guarded(len, guard, len)?;
    let reservation = Reservation { start, len };
    let mapped = with_memory(|m| {
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
}

/// Current memory counters.
pub fn stats() -> MemStats {
    let heap = heap::stats();
    let frames = with_memory(|m| m.frames.stats());
    let (reservations, reserved_bytes) = {
        let r = RESERVATIONS.lock();
        (r.count(), r.reserved_bytes())
    };
    MemStats { frames, heap, reservations, reserved_bytes, lazy_faults: LAZY_FAULTS.load(Ordering::Relaxed) }
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

//! Device windows in a task's linear memory: a device's registers, or physically contiguous
//! frames for its DMA, mapped over pages of a linear memory's accessible part (a driver grows
//! its memory, then asks for a window there). Register pages are marked not ours, so tearing
//! the memory down never frees them; DMA frames count as the pages' promised frames and are
//! freed with the memory like any touched page.
use super::paging::{self, MapError};
use super::{MEMORY, Memory, RESERVATIONS};

/// Why a window could not be mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// The range is not page-aligned inside the accessible part of one lazy reservation.
    BadRange,
    /// No run of free frames that long (DMA), or no frame for a page table.
    NoMemory,
}

/// Checks that `[va, va + pages * 4 KiB)` lies in one reservation's accessible part.
fn check(va: u64, pages: u64) -> Result<(), WindowError> {
    let len = pages.checked_mul(4096).ok_or(WindowError::BadRange)?;
    if pages == 0 || !va.is_multiple_of(4096) {
        return Err(WindowError::BadRange);
    }
    let regions = RESERVATIONS.lock();
    let region = regions.find(va).ok_or(WindowError::BadRange)?;
    let end = va.checked_add(len).ok_or(WindowError::BadRange)?;
    if region.low_guard != 0 || end > region.start + region.accessible {
        return Err(WindowError::BadRange);
    }
    Ok(())
}

/// Unmaps whatever `va` maps now: a touched page gives its frame back (its promise stands, and
/// the page's new mapping uses it or needs none), a register page is dropped.
fn clear(m: &mut Memory, va: u64) {
    if let Some((pa, flags)) = m.tables.translate(va)
        && m.tables.unmap(va).is_ok()
        && !flags.contains(paging::NOT_OURS)
    {
        let _ = m.frames.free(pa & !0xfff);
        m.commit.page_unmapped();
    }
}

fn map_err(_: MapError) -> WindowError {
    WindowError::NoMemory
}

/// Maps `pages` pages of device registers at physical `phys` (page-aligned) over the linear
/// memory pages at `va`, uncached.
pub fn map_registers(va: u64, phys: u64, pages: u64) -> Result<(), WindowError> {
    check(va, pages)?;
    if !phys.is_multiple_of(4096) {
        return Err(WindowError::BadRange);
    }
    let mut guard = MEMORY.lock();
    let m = guard.as_mut().ok_or(WindowError::NoMemory)?;
    for i in 0..pages {
        let at = va + i * 4096;
        clear(m, at);
        m.tables.map(at, phys + i * 4096, paging::MMIO_IN_TASK, &mut m.frames).map_err(map_err)?;
    }
    Ok(())
}

/// Maps `pages` zeroed, physically contiguous frames over the linear memory pages at `va` and
/// returns the physical address of the first.
pub fn map_dma(va: u64, pages: u64) -> Result<u64, WindowError> {
    check(va, pages)?;
    let mut guard = MEMORY.lock();
    let m = guard.as_mut().ok_or(WindowError::NoMemory)?;
    // Page tables for the range exist or come from the free frames the promises leave.
    if !m.fits_for_task(0) {
        return Err(WindowError::NoMemory);
    }
    for i in 0..pages {
        clear(m, va + i * 4096);
    }
    let first = m.frames.alloc_contiguous(pages).ok_or(WindowError::NoMemory)?;
    for i in 0..pages {
        let (at, pa) = (va + i * 4096, first + i * 4096);
        // SAFETY: `pa` was just allocated (nothing else uses it) and lies in RAM covered by the
        // physical map.
        unsafe { core::ptr::write_bytes((m.tables.phys_offset() + pa) as *mut u8, 0, 4096) };
        if let Err(e) = m.tables.map(at, pa, paging::DATA, &mut m.frames) {
            // The frames not mapped yet go back; those mapped are the memory's now.
            for j in i..pages {
                let _ = m.frames.free(first + j * 4096);
            }
            return Err(map_err(e));
        }
        m.commit.page_mapped();
    }
    Ok(first)
}

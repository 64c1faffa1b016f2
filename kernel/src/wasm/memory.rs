//! A Wasm linear memory in the kernel: a lazily mapped reservation of
//! `GUARD_RESERVATION` bytes (8 GiB + 64 KiB), so compiled code needs no bounds checks; its
//! accessible prefix is the memory's current size, and `memory.grow` only moves that bound —
//! pages are mapped (zeroed) by the page-fault handler on first touch.
use alloc::boxed::Box;

use hayabusa_compiler::translate::GUARD_RESERVATION;

use crate::mm::{self, Reservation, ReserveError};

/// Bytes in a Wasm page.
pub const PAGE_SIZE: u64 = 65536;
/// Most pages a 32-bit memory can have.
pub const MAX_PAGES: u64 = 65536;

/// The memory descriptor compiled code reads through the vmctx (`VMMemory`).
#[repr(C)]
pub struct VMMemory {
    pub base: u64,
    pub length: u64,
}

pub struct LinearMemory {
    reservation: Reservation,
    vm: Box<VMMemory>,
    max_pages: u64,
}

impl LinearMemory {
    /// A memory of `min_pages`, growable to `max_pages` (at most 65536).
    pub fn new(min_pages: u64, max_pages: Option<u64>) -> Result<Self, ReserveError> {
        let max_pages = max_pages.unwrap_or(MAX_PAGES).min(MAX_PAGES);
        if min_pages > max_pages {
            return Err(ReserveError::BadSize);
        }
        let reservation = mm::reserve(GUARD_RESERVATION, min_pages * PAGE_SIZE)?;
        let vm = Box::new(VMMemory { base: reservation.start(), length: min_pages * PAGE_SIZE });
        Ok(Self { reservation, vm, max_pages })
    }

    pub fn base(&self) -> u64 {
        self.vm.base
    }

    pub fn len_bytes(&self) -> u64 {
        self.vm.length
    }

    pub fn pages(&self) -> u64 {
        self.vm.length / PAGE_SIZE
    }

    /// Address of the `VMMemory` descriptor for the vmctx.
    pub fn vm_ptr(&self) -> u64 {
        &*self.vm as *const VMMemory as u64
    }

    /// `memory.grow`: the old size in pages, or `None` (the instruction's -1).
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta).filter(|&n| n <= self.max_pages)?;
        self.reservation.set_accessible(new * PAGE_SIZE).ok()?;
        self.vm.length = new * PAGE_SIZE;
        Some(old)
    }

    /// Whether `[offset, offset + len)` lies inside the memory.
    pub fn in_bounds(&self, offset: u64, len: u64) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len_bytes())
    }

    /// Copies `data` to `offset`; false (nothing written) when out of bounds.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> bool {
        if !self.in_bounds(offset, data.len() as u64) {
            return false;
        }
        // SAFETY: the range is inside the accessible prefix of this memory's reservation (checked
        // above), which the page-fault handler maps on touch; `data` is kernel memory, outside
        // every reservation.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), (self.base() + offset) as *mut u8, data.len()) };
        true
    }

    /// `memory.fill`; false when out of bounds (nothing written).
    pub fn fill(&mut self, offset: u64, value: u8, len: u64) -> bool {
        if !self.in_bounds(offset, len) {
            return false;
        }
        // SAFETY: bounds checked against the accessible prefix, as in `write`.
        unsafe { core::ptr::write_bytes((self.base() + offset) as *mut u8, value, len as usize) };
        true
    }

    /// `memory.copy` (overlapping ranges allowed); false when out of bounds.
    pub fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> bool {
        if !self.in_bounds(dst, len) || !self.in_bounds(src, len) {
            return false;
        }
        // SAFETY: both ranges are inside the accessible prefix; `copy` allows overlap.
        unsafe { core::ptr::copy((self.base() + src) as *const u8, (self.base() + dst) as *mut u8, len as usize) };
        true
    }
}

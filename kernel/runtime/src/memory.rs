//! Linear memories: a guarded 8 GiB reservation whose accessible prefix grows with
//! `memory.grow`, described to compiled code by a `VMMemory { base, length }`.

use crate::sys::Mapping;
use hayabusa_compiler::module::Limits;
use hayabusa_compiler::translate::GUARD_RESERVATION;
use std::cell::UnsafeCell;
use std::io;

pub const PAGE_SIZE: u64 = 65536;
/// Wasm's 32-bit page limit.
pub const MAX_PAGES: u64 = 65536;

#[repr(C)]
pub struct VMMemory {
    pub base: *mut u8,
    pub length: u64,
}

pub struct Memory {
    map: Mapping,
    vm: Box<UnsafeCell<VMMemory>>,
    pub max_pages: Option<u64>,
}

impl Memory {
    pub fn new(limits: Limits) -> io::Result<Memory> {
        let map = Mapping::reserve(GUARD_RESERVATION as usize)?;
        let vm = Box::new(UnsafeCell::new(VMMemory { base: map.as_ptr(), length: 0 }));
        let m = Memory { map, vm, max_pages: limits.max };
        if m.grow(limits.min).is_none() {
            return Err(io::Error::other("initial memory size too large"));
        }
        Ok(m)
    }

    pub fn vm_ptr(&self) -> *mut VMMemory {
        self.vm.get()
    }

    pub fn base(&self) -> *mut u8 {
        self.map.as_ptr()
    }

    pub fn len_bytes(&self) -> u64 {
        // SAFETY: VMMemory is only written by `grow`, on the thread running Wasm.
        unsafe { (*self.vm.get()).length }
    }

    pub fn pages(&self) -> u64 {
        self.len_bytes() / PAGE_SIZE
    }

    /// Grows by `delta` pages; returns the old size in pages, or None if that is not possible.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages.unwrap_or(MAX_PAGES).min(MAX_PAGES) {
            return None;
        }
        let (from, to) = ((old * PAGE_SIZE) as usize, (new * PAGE_SIZE) as usize);
        self.map.make_read_write(from, to - from).ok()?;
        // SAFETY: see `len_bytes`; no other reference to the VMMemory is live here.
        unsafe { (*self.vm.get()).length = new * PAGE_SIZE };
        Some(old)
    }

    fn in_bounds(&self, offset: u64, len: u64) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len_bytes())
    }

    /// Copies `data` to `offset`; false (and nothing written) if out of bounds.
    pub fn write(&self, offset: u64, data: &[u8]) -> bool {
        if !self.in_bounds(offset, data.len() as u64) {
            return false;
        }
        // SAFETY: bounds checked against the accessible (read-write) prefix; `data` is host
        // memory, never inside a linear memory's reservation while borrowed here.
        unsafe { std::ptr::copy(data.as_ptr(), self.base().add(offset as usize), data.len()) };
        true
    }

    /// Sets `len` bytes at `offset` to `value`; false if out of bounds.
    pub fn fill(&self, offset: u64, value: u8, len: u64) -> bool {
        if !self.in_bounds(offset, len) {
            return false;
        }
        // SAFETY: bounds checked against the accessible prefix.
        unsafe { std::ptr::write_bytes(self.base().add(offset as usize), value, len as usize) };
        true
    }

    /// `memmove` within the memory from `src` to `dst` (or from another memory); false if
    /// either range is out of bounds.
    pub fn copy_from(&self, src_mem: &Memory, dst: u64, src: u64, len: u64) -> bool {
        if !self.in_bounds(dst, len) || !src_mem.in_bounds(src, len) {
            return false;
        }
        // SAFETY: both ranges are checked against their memories' accessible prefixes;
        // `ptr::copy` allows overlap.
        unsafe { std::ptr::copy(src_mem.base().add(src as usize), self.base().add(dst as usize), len as usize) };
        true
    }

    /// Reads `len` bytes at `offset`.
    pub fn read(&self, offset: u64, len: u64) -> Option<Vec<u8>> {
        if !self.in_bounds(offset, len) {
            return None;
        }
        let mut out = vec![0u8; len as usize];
        // SAFETY: bounds checked against the accessible prefix.
        unsafe { std::ptr::copy(self.base().add(offset as usize), out.as_mut_ptr(), len as usize) };
        Some(out)
    }
}

//! Linear memories: a platform reservation of `GUARD_RESERVATION` bytes whose accessible prefix
//! grows with `memory.grow`, described to compiled code by a `VMMemory { base, length }`.

use crate::platform::Platform;
use crate::vmcell::VmCell;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use hayabusa_compiler::module::Limits;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

pub const PAGE_SIZE: u64 = 65536;
/// Wasm's 32-bit page limit.
pub const MAX_PAGES: u64 = 65536;

/// Layout of [`hayabusa_compiler::env::vmctx::memory`].
#[repr(C)]
#[derive(Clone, Copy)]
pub struct VMMemory {
    pub base: *mut u8,
    pub length: u64,
}

/// The bytes themselves are read and written by compiled code and by the runtime through raw
/// addresses, unsynchronised: like the [`VmCell`]s, they are reached by one thread at a time (the
/// one running the instance; see the crate's `# Threads`).
pub struct Memory<P: Platform> {
    /// The reservation; locked only to change what is accessible (`grow`).
    handle: Mutex<P::Memory>,
    /// Address of byte 0 (fixed for the memory's life).
    base: usize,
    /// `length` changes under the `handle` lock only; compiled code reads it: see [`VmCell`].
    vm: Box<VmCell<VMMemory>>,
    /// The maximum the module declared.
    pub max_pages: Option<u64>,
    /// The most pages it may have: the declared maximum, [`MAX_PAGES`] and the store's limit.
    cap_pages: u64,
    /// The last refused growth ([`Refusal::word`]), 0 for none.
    refused: AtomicU64,
}

const PAGES_MASK: u64 = (1 << 62) - 1;

/// Why a `memory.grow` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Past the memory's maximum or the store's limit.
    OverLimit,
    /// The platform had no memory for it.
    NoMemory,
}

impl Refusal {
    /// `pages` (bits 0..62), a marker (bit 62) and the reason (bit 63) in one word.
    fn word(self, pages: u64) -> u64 {
        pages.min(PAGES_MASK) | 1 << 62 | if self == Refusal::NoMemory { 1 << 63 } else { 0 }
    }

    fn from_word(word: u64) -> Option<(u64, Refusal)> {
        if word == 0 {
            return None;
        }
        let why = if word >> 63 == 1 { Refusal::NoMemory } else { Refusal::OverLimit };
        Some((word & PAGES_MASK, why))
    }
}

impl<P: Platform> Memory<P> {
    /// A memory of `limits.min` pages, growable to `limits.max` (at most [`MAX_PAGES`]).
    pub fn new(limits: Limits) -> Result<Self, String> {
        Self::with_cap(limits, MAX_PAGES)
    }

    /// [`Memory::new`], never larger than `cap_pages` pages (the store's limit).
    pub fn with_cap(limits: Limits, cap_pages: u64) -> Result<Self, String> {
        if limits.min > limits.max.unwrap_or(MAX_PAGES).min(MAX_PAGES) {
            return Err("initial memory size too large".into());
        }
        if limits.min > cap_pages {
            return Err(alloc::format!(
                "memory of {} pages ({} KiB): over the limit of {cap_pages} pages ({} KiB)",
                limits.min,
                limits.min * 64,
                cap_pages * 64
            ));
        }
        let handle = P::reserve_memory(limits.min * PAGE_SIZE)?;
        let base = P::memory_base(&handle);
        let vm = Box::new(VmCell::new(VMMemory { base: base as *mut u8, length: limits.min * PAGE_SIZE }));
        let cap_pages = cap_pages.min(limits.max.unwrap_or(MAX_PAGES)).min(MAX_PAGES);
        Ok(Memory { handle: Mutex::new(handle), base, vm, max_pages: limits.max, cap_pages, refused: AtomicU64::new(0) })
    }

    pub fn vm_ptr(&self) -> *mut VMMemory {
        self.vm.as_ptr()
    }

    pub fn base(&self) -> *mut u8 {
        self.base as *mut u8
    }

    pub fn len_bytes(&self) -> u64 {
        self.vm.get().length
    }

    pub fn pages(&self) -> u64 {
        self.len_bytes() / PAGE_SIZE
    }

    /// Grows by `delta` pages; returns the old size in pages, or None if that is not possible.
    pub fn grow(&self, delta: u64) -> Option<u64> {
        // Held for the whole read-modify-write: two grows never interleave. The platform call
        // does not run Wasm, so no call under the lock can come back here.
        let mut handle = self.handle.lock();
        let old = self.pages();
        let new = old.saturating_add(delta);
        if new > self.cap_pages {
            self.refused.store(Refusal::OverLimit.word(new), Ordering::Relaxed);
            return None;
        }
        if P::set_accessible(&mut handle, new * PAGE_SIZE).is_err() {
            self.refused.store(Refusal::NoMemory.word(new), Ordering::Relaxed);
            return None;
        }
        self.vm.set(VMMemory { base: self.base(), length: new * PAGE_SIZE });
        Some(old)
    }

    /// The most pages this memory may have (the declared maximum, the store's limit, Wasm's).
    pub fn cap_pages(&self) -> u64 {
        self.cap_pages
    }

    /// The last `memory.grow` that was refused: the size it asked for, in pages, and why (for
    /// reports: a program that traps right after a refused grow usually ran out of memory).
    pub fn last_refusal(&self) -> Option<(u64, Refusal)> {
        Refusal::from_word(self.refused.load(Ordering::Relaxed))
    }

    /// Whether `[offset, offset + len)` lies inside the memory.
    pub fn in_bounds(&self, offset: u64, len: u64) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len_bytes())
    }

    /// Copies `data` to `offset`; false (and nothing written) if out of bounds.
    pub fn write(&self, offset: u64, data: &[u8]) -> bool {
        if !self.in_bounds(offset, data.len() as u64) {
            return false;
        }
        // SAFETY: bounds checked against the accessible (read-write) prefix; `ptr::copy` allows
        // `data` to lie in this memory too.
        unsafe { core::ptr::copy(data.as_ptr(), self.base().add(offset as usize), data.len()) };
        true
    }

    /// Sets `len` bytes at `offset` to `value`; false if out of bounds.
    pub fn fill(&self, offset: u64, value: u8, len: u64) -> bool {
        if !self.in_bounds(offset, len) {
            return false;
        }
        // SAFETY: bounds checked against the accessible prefix.
        unsafe { core::ptr::write_bytes(self.base().add(offset as usize), value, len as usize) };
        true
    }

    /// `memmove` within the memory from `src` to `dst` (or from another memory); false if
    /// either range is out of bounds.
    pub fn copy_from(&self, src_mem: &Memory<P>, dst: u64, src: u64, len: u64) -> bool {
        if !self.in_bounds(dst, len) || !src_mem.in_bounds(src, len) {
            return false;
        }
        // SAFETY: both ranges are checked against their memories' accessible prefixes;
        // `ptr::copy` allows overlap.
        unsafe { core::ptr::copy(src_mem.base().add(src as usize), self.base().add(dst as usize), len as usize) };
        true
    }

    /// Copies `out.len()` bytes at `offset` into `out`; false (nothing read) if out of bounds.
    pub fn read_into(&self, offset: u64, out: &mut [u8]) -> bool {
        if !self.in_bounds(offset, out.len() as u64) {
            return false;
        }
        // SAFETY: bounds checked against the accessible prefix; `ptr::copy` allows `out` to lie
        // in this memory too.
        unsafe { core::ptr::copy(self.base().add(offset as usize), out.as_mut_ptr(), out.len()) };
        true
    }

    /// Reads `len` bytes at `offset`.
    pub fn read(&self, offset: u64, len: u64) -> Option<Vec<u8>> {
        if !self.in_bounds(offset, len) {
            return None;
        }
        let mut out = vec![0u8; len as usize];
        self.read_into(offset, &mut out).then_some(out)
    }
}

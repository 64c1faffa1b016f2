//! Executable copies of linked images, and the registry the signal handler searches for traps.

use crate::sys::Mapping;
use hayabusa_compiler::{Image, TrapSite};
use hayabusa_runtime::code_map::CodeMap;
use std::io;
use std::sync::{RwLock, TryLockError};

/// A code image mapped read+execute at a fixed address until dropped.
pub struct CodeMemory {
    map: Mapping,
    len: usize,
}

static REGISTRY: RwLock<CodeMap> = RwLock::new(CodeMap::new());

impl CodeMemory {
    /// Copies `image.code` into fresh pages, makes them executable and registers its traps.
    pub fn load(image: &Image) -> io::Result<CodeMemory> {
        let len = image.code.len().max(1);
        let map = Mapping::reserve(len)?;
        map.make_read_write(0, len)?;
        // SAFETY: the mapping is at least `len` bytes, writable, and freshly created, so it
        // overlaps nothing else; the image needs no relocation (it is position-independent).
        unsafe { std::ptr::copy_nonoverlapping(image.code.as_ptr(), map.as_ptr(), image.code.len()) };
        map.make_read_exec(0, len)?;
        REGISTRY.write().unwrap_or_else(|e| e.into_inner()).insert(map.as_ptr() as usize, len, image);
        Ok(CodeMemory { map, len })
    }

    pub fn base(&self) -> usize {
        self.map.as_ptr() as usize
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        let start = self.base();
        REGISTRY.write().unwrap_or_else(|e| e.into_inner()).remove(start);
    }
}

/// The trap site at native address `pc`, if `pc` is a recorded trapping instruction of loaded
/// code. Called from the signal handler: it only takes a read lock (never held while Wasm runs).
pub fn lookup_trap(pc: usize) -> Option<(TrapSite, usize)> {
    // Another thread may be loading or dropping code: wait for it (briefly) rather than block.
    let mut regions = REGISTRY.try_read();
    let mut spins = 0u32;
    while regions.is_err() && spins < 10_000_000 {
        std::hint::spin_loop();
        spins += 1;
        regions = REGISTRY.try_read();
    }
    regions.ok()?.trap_at(pc)
}

/// Whether `pc` lies in loaded code. For the cancel signal's handler: one attempt at the read
/// lock, never waiting (false while another thread loads or drops code: the next tick tells).
pub fn contains(pc: usize) -> bool {
    match REGISTRY.try_read() {
        Ok(map) => map.contains(pc),
        Err(TryLockError::Poisoned(map)) => map.into_inner().contains(pc),
        Err(TryLockError::WouldBlock) => false,
    }
}

/// Name of function `func` of the image loaded at `region_start`.
pub fn func_name(region_start: usize, func: u32) -> Option<String> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner()).func_name(region_start, func)
}

//! Executable copies of linked images, and the registry the signal handler searches for traps.

use crate::sys::Mapping;
use hayabusa_compiler::{Image, TrapSite};
use std::io;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A code image mapped read+execute at a fixed address until dropped.
pub struct CodeMemory {
    map: Mapping,
    len: usize,
}

struct Region {
    start: usize,
    end: usize,
    traps: Arc<Vec<TrapSite>>,
    names: Arc<HashMap<u32, String>>,
}

static REGISTRY: RwLock<Vec<Region>> = RwLock::new(Vec::new());

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
        let start = map.as_ptr() as usize;
        let names = image.funcs.iter().map(|f| (f.index, f.name.clone())).collect();
        let region = Region { start, end: start + len, traps: Arc::new(image.traps.clone()), names: Arc::new(names) };
        REGISTRY.write().unwrap_or_else(|e| e.into_inner()).push(region);
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
        REGISTRY.write().unwrap_or_else(|e| e.into_inner()).retain(|r| r.start != start);
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
    let regions = regions.ok()?;
    let r = regions.iter().find(|r| r.start <= pc && pc < r.end)?;
    let off = u32::try_from(pc - r.start).ok()?;
    let i = r.traps.binary_search_by_key(&off, |t| t.code_offset).ok()?;
    Some((r.traps[i], r.start))
}

/// Name of function `func` of the image loaded at `region_start`.
pub fn func_name(region_start: usize, func: u32) -> Option<String> {
    let regions = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
    let r = regions.iter().find(|r| r.start == region_start)?;
    r.names.get(&func).cloned()
}

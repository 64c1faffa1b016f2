//! Tables of references, described to compiled code by a `VMTable { elements, length }`.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use hayabusa_compiler::ValType;

/// Growth beyond this many elements fails (an implementation limit the spec allows).
pub const MAX_ELEMENTS: u64 = 10_000_000;

#[repr(C)]
pub struct VMTable {
    pub elements: *mut u64,
    pub length: u64,
}

pub struct Table {
    pub elem: ValType,
    pub max: Option<u64>,
    vm: Box<UnsafeCell<VMTable>>,
    storage: UnsafeCell<Vec<u64>>,
}

impl Table {
    pub fn new(elem: ValType, min: u64, max: Option<u64>, init: u64) -> Option<Table> {
        if min > MAX_ELEMENTS {
            return None;
        }
        let mut storage = vec![init; min as usize];
        let vm = VMTable { elements: storage.as_mut_ptr(), length: min };
        Some(Table { elem, max, vm: Box::new(UnsafeCell::new(vm)), storage: UnsafeCell::new(storage) })
    }

    pub fn vm_ptr(&self) -> *mut VMTable {
        self.vm.get()
    }

    /// The elements. Wasm code writes them through `VMTable.elements`; no reference from here
    /// is held while Wasm runs.
    #[allow(clippy::mut_from_ref)]
    fn elems(&self) -> &mut Vec<u64> {
        // SAFETY: only this thread touches the table (the runtime is single-threaded per store),
        // and callers never hold two of these borrows at once or across calls into Wasm.
        unsafe { &mut *self.storage.get() }
    }

    pub fn len(&self) -> u64 {
        self.elems().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: u64) -> Option<u64> {
        self.elems().get(i as usize).copied()
    }

    pub fn set(&self, i: u64, v: u64) -> bool {
        match self.elems().get_mut(i as usize) {
            Some(slot) => {
                *slot = v;
                true
            }
            None => false,
        }
    }

    fn sync_vm(&self) {
        let e = self.elems();
        // SAFETY: see `elems`; the VMTable mirrors the vector after every reallocation.
        unsafe { *self.vm.get() = VMTable { elements: e.as_mut_ptr(), length: e.len() as u64 } };
    }

    pub fn grow(&self, delta: u64, init: u64) -> Option<u64> {
        let old = self.len();
        let new = old.checked_add(delta)?;
        if new > self.max.unwrap_or(u64::from(u32::MAX)) || new > MAX_ELEMENTS {
            return None;
        }
        self.elems().resize(new as usize, init);
        self.sync_vm();
        Some(old)
    }

    pub fn fill(&self, dst: u64, v: u64, len: u64) -> bool {
        let e = self.elems();
        match dst.checked_add(len) {
            Some(end) if end <= e.len() as u64 => {
                e[dst as usize..end as usize].fill(v);
                true
            }
            _ => false,
        }
    }

    /// Copies `len` elements of `src` starting at `s` to `d` (the tables may be the same).
    pub fn copy_from(&self, src: &Table, d: u64, s: u64, len: u64) -> bool {
        let (dl, sl) = (self.len(), src.len());
        if d.checked_add(len).is_none_or(|e| e > dl) || s.checked_add(len).is_none_or(|e| e > sl) {
            return false;
        }
        let items: Vec<u64> = src.elems()[s as usize..(s + len) as usize].to_vec();
        self.elems()[d as usize..(d + len) as usize].copy_from_slice(&items);
        true
    }

    /// Writes `items` at `d`; false if out of bounds.
    pub fn init(&self, d: u64, items: &[u64]) -> bool {
        let e = self.elems();
        match d.checked_add(items.len() as u64) {
            Some(end) if end <= e.len() as u64 => {
                e[d as usize..end as usize].copy_from_slice(items);
                true
            }
            _ => false,
        }
    }
}

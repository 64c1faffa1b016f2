//! Tables of references, described to compiled code by a `VMTable { elements, length }`.

use crate::limits::TableBudget;
use crate::vmcell::VmCell;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use hayabusa_compiler::ValType;
use spin::Mutex;

/// Growth beyond this many elements fails (an implementation limit the spec allows).
pub const MAX_ELEMENTS: u64 = 10_000_000;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct VMTable {
    pub elements: *mut u64,
    pub length: u64,
}

pub struct Table {
    pub elem: ValType,
    pub max: Option<u64>,
    /// Mirrors `storage` (its buffer and length) for compiled code: see [`VmCell`].
    vm: Box<VmCell<VMTable>>,
    /// The elements. Compiled code writes them through `VMTable.elements` without the lock
    /// (see [`VmCell`] for why that is sound); the lock serialises the runtime's own
    /// operations, above all `grow`, which moves the buffer.
    storage: Mutex<Vec<u64>>,
    /// The store's element budget, charged with the table's length (given back on drop).
    budget: Option<Arc<TableBudget>>,
}

/// A vector of `len` copies of `init`, or None when the allocator has no room.
fn try_filled(len: u64, init: u64) -> Option<Vec<u64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(usize::try_from(len).ok()?).ok()?;
    v.resize(len as usize, init);
    Some(v)
}

impl Table {
    /// A table of `min` elements, or None if that is more than [`MAX_ELEMENTS`] or the
    /// allocator has no room.
    pub fn new(elem: ValType, min: u64, max: Option<u64>, init: u64) -> Option<Table> {
        Self::new_in(elem, min, max, init, None).ok()
    }

    /// [`Table::new`], charging `budget` (when given) with its elements now and as it grows.
    /// The error says why it cannot be made.
    pub fn new_in(elem: ValType, min: u64, max: Option<u64>, init: u64, budget: Option<Arc<TableBudget>>) -> Result<Table, String> {
        if min > MAX_ELEMENTS {
            return Err(format!("table of {min} elements: more than the runtime's limit of {MAX_ELEMENTS}"));
        }
        if let Some(b) = &budget
            && !b.take(min)
        {
            return Err(format!("table of {min} elements: over the limit ({} elements left)", b.left()));
        }
        let Some(mut storage) = try_filled(min, init) else {
            if let Some(b) = &budget {
                b.give(min);
            }
            return Err(format!("out of memory for a table of {min} elements"));
        };
        let vm = VMTable { elements: storage.as_mut_ptr(), length: min };
        Ok(Table { elem, max, vm: Box::new(VmCell::new(vm)), storage: Mutex::new(storage), budget })
    }

    pub fn vm_ptr(&self) -> *mut VMTable {
        self.vm.as_ptr()
    }

    pub fn len(&self) -> u64 {
        self.storage.lock().len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: u64) -> Option<u64> {
        self.storage.lock().get(i as usize).copied()
    }

    pub fn set(&self, i: u64, v: u64) -> bool {
        match self.storage.lock().get_mut(i as usize) {
            Some(slot) => {
                *slot = v;
                true
            }
            None => false,
        }
    }

    pub fn grow(&self, delta: u64, init: u64) -> Option<u64> {
        let mut e = self.storage.lock();
        let old = e.len() as u64;
        let new = old.checked_add(delta)?;
        if new > self.max.unwrap_or(u64::from(u32::MAX)) || new > MAX_ELEMENTS {
            return None;
        }
        if let Some(b) = &self.budget
            && !b.take(delta)
        {
            return None;
        }
        if e.try_reserve_exact(delta as usize).is_err() {
            if let Some(b) = &self.budget {
                b.give(delta);
            }
            return None;
        }
        e.resize(new as usize, init);
        // The VMTable mirrors the vector after every reallocation (still under the lock).
        self.vm.set(VMTable { elements: e.as_mut_ptr(), length: new });
        Some(old)
    }

    pub fn fill(&self, dst: u64, v: u64, len: u64) -> bool {
        let mut e = self.storage.lock();
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
        let in_bounds = |at: u64, n: usize| at.checked_add(len).is_some_and(|end| end <= n as u64);
        if core::ptr::eq(self, src) {
            let mut e = self.storage.lock();
            if !in_bounds(d, e.len()) || !in_bounds(s, e.len()) {
                return false;
            }
            e.copy_within(s as usize..(s + len) as usize, d as usize);
            return true;
        }
        // One lock at a time: two tables copying into each other cannot deadlock.
        let items: Vec<u64> = {
            let e = src.storage.lock();
            if !in_bounds(s, e.len()) {
                return false;
            }
            e[s as usize..(s + len) as usize].to_vec()
        };
        self.init(d, &items)
    }

    /// Writes `items` at `d`; false if out of bounds.
    pub fn init(&self, d: u64, items: &[u64]) -> bool {
        let mut e = self.storage.lock();
        match d.checked_add(items.len() as u64) {
            Some(end) if end <= e.len() as u64 => {
                e[d as usize..end as usize].copy_from_slice(items);
                true
            }
            _ => false,
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        if let Some(b) = &self.budget {
            b.give(self.storage.get_mut().len() as u64);
        }
    }
}

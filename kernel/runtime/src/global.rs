//! Global variables: one 8-byte cell each, shared by address between exporter and importers.

use crate::values::Val;
use alloc::boxed::Box;
use core::cell::UnsafeCell;
use hayabusa_compiler::module::GlobalType;

pub struct Global {
    pub ty: GlobalType,
    cell: Box<UnsafeCell<u64>>,
}

impl Global {
    pub fn new(ty: GlobalType, value: Val) -> Global {
        Global { ty, cell: Box::new(UnsafeCell::new(value.to_slot())) }
    }

    /// Address of the cell, stored in importing instances' vmctx.
    pub fn cell_ptr(&self) -> *mut u64 {
        self.cell.get()
    }

    pub fn get(&self) -> Val {
        // SAFETY: the cell is a live, aligned u64; Wasm code only writes it while running on
        // this same thread, never concurrently with this read.
        Val::from_slot(self.ty.ty, unsafe { *self.cell.get() })
    }
}

//! Global variables: one 8-byte cell each, shared by address between exporter and importers.

use crate::values::Val;
use crate::vmcell::VmCell;
use alloc::boxed::Box;
use hayabusa_compiler::module::GlobalType;

pub struct Global {
    pub ty: GlobalType,
    /// Written by compiled code (`global.set`) behind the runtime's back: see [`VmCell`].
    cell: Box<VmCell<u64>>,
}

impl Global {
    pub fn new(ty: GlobalType, value: Val) -> Global {
        Global { ty, cell: Box::new(VmCell::new(value.to_slot())) }
    }

    /// Address of the cell, stored in importing instances' vmctx.
    pub fn cell_ptr(&self) -> *mut u64 {
        self.cell.as_ptr()
    }

    pub fn get(&self) -> Val {
        Val::from_slot(self.ty.ty, self.cell.get())
    }
}

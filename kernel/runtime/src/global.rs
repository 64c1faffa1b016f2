//! Global variables: one 16-byte cell each (a `v128` fills it, other types use its low 8 bytes), shared by address between exporter and importers.

use crate::values::Val;
use crate::vmcell::VmCell;
use alloc::boxed::Box;
use hayabusa_compiler::module::GlobalType;

pub struct Global {
    pub ty: GlobalType,
    /// Written by compiled code (`global.set`) behind the runtime's back: see [`VmCell`].
    cell: Box<VmCell<u128>>,
}

impl Global {
    pub fn new(ty: GlobalType, value: Val) -> Global {
        Global { ty, cell: Box::new(VmCell::new(value.to_bits())) }
    }

    /// Address of the cell, stored in importing instances' vmctx.
    pub fn cell_ptr(&self) -> *mut u64 {
        self.cell.as_ptr().cast()
    }

    pub fn get(&self) -> Val {
        Val::from_bits(self.ty.ty, self.cell.get())
    }
}

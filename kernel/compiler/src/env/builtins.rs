//! Runtime functions compiled code calls through the vmctx builtin table, and their signatures.
//!
//! Every builtin takes the caller's vmctx first. Builtins that can fail return a status word
//! (0: success, else a [`super::traps::TrapKind`] number) and the compiled code raises the trap
//! itself, so traps always originate in compiled code at a known Wasm offset.

use crate::module::ValType::{self, I32, I64};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Builtin {
    /// `(memory, delta: i32) -> old_pages_or_minus_1: i32`
    MemoryGrow = 0,
    /// `(memory, dst, val, len) -> status`
    MemoryFill,
    /// `(dst_memory, src_memory, dst, src, len) -> status`
    MemoryCopy,
    /// `(memory, segment, dst, src, len) -> status`
    MemoryInit,
    /// `(segment)`
    DataDrop,
    /// `(table, init: ref, delta) -> old_size_or_minus_1`
    TableGrow,
    /// `(table, dst, val: ref, len) -> status`
    TableFill,
    /// `(dst_table, src_table, dst, src, len) -> status`
    TableCopy,
    /// `(table, segment, dst, src, len) -> status`
    TableInit,
    /// `(segment)`
    ElemDrop,
}

/// Number of builtins: the length of the vmctx builtin table.
pub const COUNT: usize = 10;

impl Builtin {
    /// Parameter types after the vmctx, and result types.
    pub fn signature(self) -> (&'static [ValType], &'static [ValType]) {
        match self {
            Builtin::MemoryGrow => (&[I32, I32], &[I32]),
            Builtin::MemoryFill => (&[I32, I32, I32, I32], &[I32]),
            Builtin::MemoryCopy | Builtin::MemoryInit => (&[I32, I32, I32, I32, I32], &[I32]),
            Builtin::DataDrop | Builtin::ElemDrop => (&[I32], &[]),
            Builtin::TableGrow => (&[I32, I64, I32], &[I32]),
            Builtin::TableFill => (&[I32, I32, I64, I32], &[I32]),
            Builtin::TableCopy | Builtin::TableInit => (&[I32, I32, I32, I32, I32], &[I32]),
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

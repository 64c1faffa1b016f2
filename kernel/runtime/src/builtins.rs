//! The builtin functions compiled code calls (see `hayabusa_compiler::env::builtins`).
//!
//! Each receives the caller's vmctx, finds its instance there, and returns 0 or a failure
//! status; the compiled code raises the trap. The memory builtins check bounds first and then
//! work in chunks of [`CHUNK`] bytes with a [`Platform::cancel_point`] after each, so a large
//! fill or copy can be cancelled (table operations are bounded by the store's element limit).

use crate::instance::InstanceInner;
use crate::platform::Platform;
use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use hayabusa_compiler::env::builtins::{Builtin, COUNT};
use hayabusa_compiler::env::vmctx;

/// The instance owning `vm`.
///
/// # Safety
/// `vm` must be the vmctx of a live instance (compiled code only passes its own).
unsafe fn instance<'a, P: Platform>(vm: *const u64) -> &'a InstanceInner<P> {
    // SAFETY: per the contract, the INSTANCE field holds the address of a live InstanceInner.
    unsafe { &*(*vm.add(vmctx::INSTANCE as usize / 8) as *const InstanceInner<P>) }
}

const FAIL: u32 = 1;

/// Bytes a memory builtin handles between two cancel points.
pub const CHUNK: u64 = 1 << 20;

/// Runs `step(offset, len)` over `[0, len)` in chunks of [`CHUNK`], front to back or back to
/// front, with a cancel point after each chunk but the last.
fn chunked<P: Platform>(len: u64, backwards: bool, mut step: impl FnMut(u64, u64)) {
    let chunks = len.div_ceil(CHUNK);
    for i in 0..chunks {
        let k = if backwards { chunks - 1 - i } else { i };
        let at = k * CHUNK;
        step(at, CHUNK.min(len - at));
        if i + 1 < chunks {
            P::cancel_point();
        }
    }
}

fn status(ok: bool) -> u32 {
    if ok { 0 } else { FAIL }
}

extern "C" fn memory_grow<P: Platform>(vm: *const u64, mem: u32, delta: u32) -> u32 {
    // SAFETY: called by compiled code with its own vmctx.
    let inst = unsafe { instance::<P>(vm) };
    let Some(mem) = inst.memories.get(mem as usize) else { return u32::MAX };
    mem.grow(u64::from(delta)).map_or(u32::MAX, |old| old as u32)
}

extern "C" fn memory_fill<P: Platform>(vm: *const u64, mem: u32, dst: u32, val: u32, len: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    let mem = &inst.memories[mem as usize];
    let (dst, len) = (u64::from(dst), u64::from(len));
    if !mem.in_bounds(dst, len) {
        return FAIL;
    }
    chunked::<P>(len, false, |at, n| {
        mem.fill(dst + at, val as u8, n);
    });
    0
}

extern "C" fn memory_copy<P: Platform>(vm: *const u64, dm: u32, sm: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    let (mem, src_mem) = (&inst.memories[dm as usize], &inst.memories[sm as usize]);
    let (dst, src, len) = (u64::from(dst), u64::from(src), u64::from(len));
    if !mem.in_bounds(dst, len) || !src_mem.in_bounds(src, len) {
        return FAIL;
    }
    // Chunk by chunk in the order that reads every source byte before it is overwritten (two
    // distinct memories never overlap: any order would do).
    chunked::<P>(len, dst > src, |at, n| {
        mem.copy_from(src_mem, dst + at, src + at, n);
    });
    0
}

extern "C" fn memory_init<P: Platform>(vm: *const u64, mem: u32, seg: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    let mem = &inst.memories[mem as usize];
    let (dst, src, len) = (u64::from(dst), u64::from(src), u64::from(len));
    let segment_len = inst.data.lock()[seg as usize].len() as u64;
    if src.checked_add(len).is_none_or(|end| end > segment_len) || !mem.in_bounds(dst, len) {
        return FAIL;
    }
    // The segment's lock is held for one chunk at a time (never at a cancel point). Only this
    // instance's code drops segments, and it is busy here, so the segment stays as checked.
    chunked::<P>(len, false, |at, n| {
        let data = inst.data.lock();
        let from = (src + at) as usize;
        mem.write(dst + at, &data[seg as usize][from..from + n as usize]);
    });
    0
}

extern "C" fn data_drop<P: Platform>(vm: *const u64, seg: u32) {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    inst.data.lock()[seg as usize] = Vec::new();
}

extern "C" fn table_grow<P: Platform>(vm: *const u64, table: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    inst.tables[table as usize].grow(u64::from(delta), init).map_or(u32::MAX, |old| old as u32)
}

extern "C" fn table_fill<P: Platform>(vm: *const u64, table: u32, dst: u32, val: u64, len: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    status(inst.tables[table as usize].fill(u64::from(dst), val, u64::from(len)))
}

extern "C" fn table_copy<P: Platform>(vm: *const u64, dt: u32, st: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    let (d, s) = (&inst.tables[dt as usize], &inst.tables[st as usize]);
    status(d.copy_from(s, u64::from(dst), u64::from(src), u64::from(len)))
}

extern "C" fn table_init<P: Platform>(vm: *const u64, table: u32, seg: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    let elems = inst.elems.lock();
    let items = &elems[seg as usize];
    let (src, len) = (src as usize, len as usize);
    match src.checked_add(len) {
        Some(end) if end <= items.len() => status(inst.tables[table as usize].init(u64::from(dst), &items[src..end])),
        _ => FAIL,
    }
}

extern "C" fn elem_drop<P: Platform>(vm: *const u64, seg: u32) {
    // SAFETY: as above.
    let inst = unsafe { instance::<P>(vm) };
    inst.elems.lock()[seg as usize] = Vec::new();
}

/// The builtin address table, in [`Builtin`] order.
pub fn table<P: Platform>() -> Box<[usize]> {
    let mut t = vec![0usize; COUNT];
    t[Builtin::MemoryGrow.index()] = memory_grow::<P> as *const () as usize;
    t[Builtin::MemoryFill.index()] = memory_fill::<P> as *const () as usize;
    t[Builtin::MemoryCopy.index()] = memory_copy::<P> as *const () as usize;
    t[Builtin::MemoryInit.index()] = memory_init::<P> as *const () as usize;
    t[Builtin::DataDrop.index()] = data_drop::<P> as *const () as usize;
    t[Builtin::TableGrow.index()] = table_grow::<P> as *const () as usize;
    t[Builtin::TableFill.index()] = table_fill::<P> as *const () as usize;
    t[Builtin::TableCopy.index()] = table_copy::<P> as *const () as usize;
    t[Builtin::TableInit.index()] = table_init::<P> as *const () as usize;
    t[Builtin::ElemDrop.index()] = elem_drop::<P> as *const () as usize;
    t.into_boxed_slice()
}

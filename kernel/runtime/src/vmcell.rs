//! `VmCell`: a value compiled code reads and writes through its address, shareable between threads under the runtime's rules.

use core::cell::UnsafeCell;

/// A plain-data value whose address is handed to compiled code: a global's 8-byte cell, a
/// table's `VMTable`, a memory's `VMMemory`, an instance's vmctx. Compiled code loads and
/// stores it with ordinary instructions, so no lock can guard it; the runtime reads and writes
/// it the same way, through [`VmCell::get`] and [`VmCell::set`].
///
/// # Threads
/// A cell may be reached from several threads (an instance's handler runs on whichever thread
/// calls it), but never by two at the same time:
/// - one CPU runs at a time, and every word is aligned and written by a single store, so a
///   preempted reader never sees a torn word (a record of several words is rewritten only by
///   the runtime, under its owner's lock, while no call using it runs: next point);
/// - the code that reads or writes a cell is the code of the instances sharing it, and one
///   thread at a time runs an instance: the safe calls check it ([`crate::func::Running`]), the
///   caller of the unsafe unchecked one guarantees it (the kernel's IPC layer does); instances
///   sharing a table, memory or global must be run one thread at a time too, which the per-instance
///   check does not cover (the crate's `# Threads`);
/// - the runtime's own multi-step updates (`memory.grow`, `table.grow`) run under the lock of
///   the object they belong to, so two of them never interleave.
#[repr(transparent)]
pub struct VmCell<T: Copy>(UnsafeCell<T>);

// SAFETY: the contents are plain data (integers and addresses of memory the cell's owner keeps
// alive), so moving them to another thread is fine; shared access from several threads is
// serialised by the rules above (one call at a time per instance and its shared objects,
// runtime updates under their owner's lock), so no two accesses ever overlap.
unsafe impl<T: Copy> Send for VmCell<T> {}
// SAFETY: see `Send` above.
unsafe impl<T: Copy> Sync for VmCell<T> {}

impl<T: Copy> VmCell<T> {
    pub const fn new(value: T) -> Self {
        VmCell(UnsafeCell::new(value))
    }

    /// The address compiled code uses.
    pub fn as_ptr(&self) -> *mut T {
        self.0.get()
    }

    pub fn get(&self) -> T {
        // SAFETY: the cell is live and aligned; no write overlaps this read (see the type's
        // threading rules).
        unsafe { *self.0.get() }
    }

    pub fn set(&self, value: T) {
        // SAFETY: as in `get`: no other access overlaps this write, and no reference into the
        // cell is ever handed out.
        unsafe { *self.0.get() = value }
    }
}

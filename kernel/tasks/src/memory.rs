//! Linear memories as byte slices, for the IPC checks and copies (`hayabusa_ipc::message` works
//! on `&[u8]`). Each use states, in its `// SAFETY:` comment, which stopped task it reads.
//!
//! A slice of a task's memory may exist only while none of that task's code runs, on any thread
//! or CPU: compiled code writes linear memory behind every Rust reference. The task layer
//! guarantees it by protocol, not by disabling interrupts: the kernel side of IPC touches a
//! task's memory only while that task's code is stopped — in one of its own imports (its own
//! memory), waiting in the rendezvous (a queued caller, a caller awaiting its reply, a server
//! blocked in `ipc_recv`), or claimed by a direct call (the server's memory, whose own thread
//! waits in `ipc_recv` and whose handler runs only for the claim holder). A task's code runs in
//! one place at a time (its thread, or its handler for the one holder of its endpoint's claim),
//! so nothing else writes those bytes meanwhile. The table lock orders these accesses with the
//! state changes that start the task's code again.
use hayabusa_runtime::Platform;
use hayabusa_runtime::memory::Memory;

/// Runs `f` on the accessible bytes of `mem`.
///
/// # Safety
/// No code of the task owning `mem` may run while `f` runs, and nothing else may reference its
/// bytes meanwhile (module doc).
pub unsafe fn with_bytes<P: Platform, R>(mem: &Memory<P>, f: impl FnOnce(&mut [u8]) -> R) -> R {
    // SAFETY: `base .. base + len_bytes` is the accessible, read-write prefix of the memory's
    // reservation (pages not yet touched read as zeros), kept alive by `mem`, and it does not
    // shrink; exclusive by the caller's guarantee.
    let bytes = unsafe { core::slice::from_raw_parts_mut(mem.base(), mem.len_bytes() as usize) };
    f(bytes)
}

/// Runs `f` on the bytes of `src` (read) and `dst` (written).
///
/// # Safety
/// As [`with_bytes`], for both memories.
///
/// # Panics
/// If `src` and `dst` are the same memory.
pub unsafe fn with_two<P: Platform, R>(src: &Memory<P>, dst: &Memory<P>, f: impl FnOnce(&[u8], &mut [u8]) -> R) -> R {
    assert!(src.base() != dst.base(), "with_two needs two different memories");
    // SAFETY: forwarded from the caller; different memories are different reservations, so the
    // slices do not overlap.
    unsafe { with_bytes(src, |s| with_bytes(dst, |d| f(s, d))) }
}

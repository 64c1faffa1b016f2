//! Linear memories as byte slices, for the IPC layer's checks and copies (`crate::ipc::message`
//! works on `&[u8]`). Slices of memory that compiled code also writes may exist only while no
//! Wasm code runs: the helpers demand interrupts disabled (on this one CPU nothing else runs, and
//! the caller is not in Wasm code), which the task layer's lock provides. The direct path of IPC,
//! which holds no lock, uses the `_exclusive` forms, whose exclusivity its claim protocol provides.
use x86_64::instructions::interrupts;

use super::platform::Memory;

/// Runs `f` on the accessible bytes of `mem`.
///
/// # Panics
/// If interrupts are enabled.
pub fn with_bytes<R>(mem: &Memory, f: impl FnOnce(&mut [u8]) -> R) -> R {
    assert!(!interrupts::are_enabled(), "linear memory slices need interrupts disabled");
    // SAFETY: `base .. base + len_bytes` is the accessible, read-write prefix of the memory's
    // reservation (pages not yet touched are mapped zeroed by the page-fault handler), kept
    // alive by `mem`, and it does not shrink. With interrupts disabled on the only CPU, no Wasm
    // code runs while the slice lives, and the kernel makes no other reference into linear
    // memory meanwhile (the runtime's own accessors are not used by the task layer here).
    let bytes = unsafe { core::slice::from_raw_parts_mut(mem.base(), mem.len_bytes() as usize) };
    f(bytes)
}

/// Runs `f` on the bytes of `src` (read) and `dst` (written): two different memories.
///
/// # Panics
/// If interrupts are enabled, or `src` and `dst` are the same memory.
pub fn with_two<R>(src: &Memory, dst: &Memory, f: impl FnOnce(&[u8], &mut [u8]) -> R) -> R {
    assert!(src.base() != dst.base(), "with_two needs two different memories");
    // Different memories are different reservations, so the slices do not overlap.
    with_bytes(src, |s| with_bytes(dst, |d| f(s, d)))
}

/// Runs `f` on the accessible bytes of `mem`, with interrupts in any state: for the IPC direct
/// path, which holds no lock.
///
/// # Safety
/// Nothing else may read or write `mem`'s bytes while `f` runs: no Wasm code of the instances
/// using it runs (on any thread), and the kernel makes no other reference into it. The task
/// layer's direct path guarantees this for the caller's memory (its own code is stopped in the
/// import, and a task's memory is written by the kernel only while the task waits in the
/// rendezvous) and for the server's (it holds the server's claim: the server's own thread waits
/// in `ipc_recv`, and no other call or delivery reaches it).
pub unsafe fn with_bytes_exclusive<R>(mem: &Memory, f: impl FnOnce(&mut [u8]) -> R) -> R {
    // SAFETY: the accessible prefix of a live reservation (as in `with_bytes`); exclusive by the
    // caller's guarantee.
    let bytes = unsafe { core::slice::from_raw_parts_mut(mem.base(), mem.len_bytes() as usize) };
    f(bytes)
}

/// [`with_two`] under the rules of [`with_bytes_exclusive`].
///
/// # Safety
/// As [`with_bytes_exclusive`], for both memories.
///
/// # Panics
/// If `src` and `dst` are the same memory.
pub unsafe fn with_two_exclusive<R>(src: &Memory, dst: &Memory, f: impl FnOnce(&[u8], &mut [u8]) -> R) -> R {
    assert!(src.base() != dst.base(), "with_two_exclusive needs two different memories");
    // SAFETY: forwarded from the caller; different memories are different reservations, so the
    // slices do not overlap.
    unsafe { with_bytes_exclusive(src, |s| with_bytes_exclusive(dst, |d| f(s, d))) }
}

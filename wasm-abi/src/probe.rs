//! Malformed calls, for programs that test the kernel's checks (`examples/badcalls`): each sends
//! something the ABI forbids — an address outside linear memory, a payload over `MAX_PAYLOAD`, a
//! request with `flags` set — which the kernel must refuse with an error, never a fault. The
//! addresses used lie wholly outside this program's memory, so even a kernel that wrongly
//! accepted them could not overwrite anything of the program's.

use crate::{Error, MAX_PAYLOAD, Message, TaskId, decode, sys};

/// The first address past this program's linear memory (memory 0).
fn memory_end() -> u32 {
    (core::arch::wasm32::memory_size(0) * 65536) as u32
}

/// Addresses that are never valid message buffers: the end of memory, a page beyond it, and
/// one whose `+ MSG_SIZE` wraps around 2^32.
pub fn bad_addresses() -> [u32; 3] {
    let end = memory_end();
    [end, end.wrapping_add(65536), u32::MAX - 7]
}

/// `ipc_call(dst, address)` with a message address outside memory.
pub fn call_at(dst: TaskId, address: u32) -> Result<(), Error> {
    assert!(bad_addresses().contains(&address), "probe::call_at takes bad_addresses() only");
    // SAFETY: `address` is one of `bad_addresses` (checked), outside this program's memory:
    // nothing of ours can be read or written through it.
    decode(unsafe { sys::ipc_call(dst.get(), address as usize as *mut Message) }).map(drop)
}

/// `ipc_recv(0, address)` with a buffer outside memory (refused before it could block).
pub fn recv_at(address: u32) -> Result<TaskId, Error> {
    assert!(bad_addresses().contains(&address), "probe::recv_at takes bad_addresses() only");
    // SAFETY: as for `call_at`.
    TaskId::from_return(unsafe { sys::ipc_recv(0, address as usize as *mut Message) })
}

/// `ipc_reply(dst, address)` with a message outside memory.
pub fn reply_at(dst: TaskId, address: u32) -> Result<(), Error> {
    assert!(bad_addresses().contains(&address), "probe::reply_at takes bad_addresses() only");
    // SAFETY: as for `call_at`.
    decode(unsafe { sys::ipc_reply(dst.get(), address as usize as *const Message) }).map(drop)
}

/// `ipc_lookup` of a 7-byte name at an address outside memory.
pub fn lookup_at(address: u32) -> Result<TaskId, Error> {
    assert!(bad_addresses().contains(&address), "probe::lookup_at takes bad_addresses() only");
    // SAFETY: as for `call_at`; the kernel only reads.
    TaskId::from_return(unsafe { sys::ipc_lookup(address as usize as *const u8, 7) })
}

/// `ipc_call` with a header whose `len` is `MAX_PAYLOAD + 1`.
pub fn call_oversized(dst: TaskId, msg: &mut Message) -> Result<(), Error> {
    msg.len = MAX_PAYLOAD as u32 + 1;
    crate::call(dst, msg)
}

/// `ipc_call` with `flags` set in the request.
pub fn call_with_flags(dst: TaskId, msg: &mut Message) -> Result<(), Error> {
    msg.flags = 1;
    crate::call(dst, msg)
}

/// `ipc_recv` from a negative task id.
pub fn recv_from_negative(msg: &mut Message) -> Result<TaskId, Error> {
    // SAFETY: `msg` is a whole, exclusively borrowed message buffer (as in `crate::recv`).
    TaskId::from_return(unsafe { sys::ipc_recv(-1, msg) })
}

/// `ipc_call` to a raw task id, which may be 0 or negative (`TaskId` cannot hold those).
pub fn call_raw_id(dst: i32, msg: &mut Message) -> Result<(), Error> {
    // SAFETY: as in `crate::call`: a whole, exclusively borrowed message buffer.
    decode(unsafe { sys::ipc_call(dst, msg) }).map(drop)
}

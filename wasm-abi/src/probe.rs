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

/// The last pages of this program's linear memory, grown for a fuzzer: every address from
/// `start` up — inside the arena, straddling the end of memory, or past it — may be handed to the
/// kernel, since whatever the kernel writes there lies in the arena (the kernel writes at most a
/// whole message at an address it accepted, and only inside memory). The rest of the program's
/// memory is never exposed, so a fuzzer can check that the kernel wrote nothing else.
pub struct Arena {
    start: u32,
    end: u32,
}

impl Arena {
    /// Grows memory by `pages`; `None` if it cannot grow.
    pub fn new(pages: u32) -> Option<Arena> {
        let old = core::arch::wasm32::memory_grow(0, pages as usize);
        if old == usize::MAX {
            return None;
        }
        let start = (old * 65536) as u32;
        Some(Arena { start, end: memory_end() })
    }

    /// The arena's first address.
    pub fn start(&self) -> u32 {
        self.start
    }

    /// The end of the arena (the end of memory when it was made).
    pub fn end(&self) -> u32 {
        self.end
    }

    /// Writes `bytes` at `address`, clipped to the arena (addresses outside it are skipped).
    pub fn write(&self, address: u32, bytes: &[u8]) {
        let from = address.max(self.start);
        let to = (u64::from(address) + bytes.len() as u64).min(u64::from(self.end)) as u32;
        for at in from..to {
            // SAFETY: `at` lies in the arena, memory this program grew and never lends out
            // otherwise; one byte, no alignment needed.
            unsafe { (at as usize as *mut u8).write_volatile(bytes[(at - address) as usize]) };
        }
    }

    /// `ipc_call(dst, address)` with any `dst` and any address at or above the arena's start.
    ///
    /// # Panics
    /// If `address` lies below the arena.
    pub fn call(&self, dst: i32, address: u32) -> i32 {
        assert!(address >= self.start, "Arena::call takes addresses at or above the arena");
        // SAFETY: whatever the kernel writes for an address at or above the arena lies in the
        // arena (see the type's doc).
        unsafe { sys::ipc_call(dst, address as usize as *mut Message) }
    }

    /// `ipc_reply(dst, address)`, as [`Arena::call`] (the kernel only reads).
    pub fn reply(&self, dst: i32, address: u32) -> i32 {
        assert!(address >= self.start, "Arena::reply takes addresses at or above the arena");
        // SAFETY: as for `call`.
        unsafe { sys::ipc_reply(dst, address as usize as *const Message) }
    }

    /// `ipc_lookup(address, len)`, as [`Arena::call`] (the kernel only reads).
    pub fn lookup(&self, address: u32, len: u32) -> i32 {
        assert!(address >= self.start, "Arena::lookup takes addresses at or above the arena");
        // SAFETY: as for `call`.
        unsafe { sys::ipc_lookup(address as usize as *const u8, len as usize) }
    }

    /// `ipc_recv(src, address)` for the arguments that cannot block: a negative `src`, or an
    /// address whose message would not fit in memory.
    ///
    /// # Panics
    /// If the call could block, or `address` lies below the arena.
    pub fn recv_refused(&self, src: i32, address: u32) -> i32 {
        assert!(address >= self.start, "Arena::recv_refused takes addresses at or above the arena");
        let fits = address % 8 == 0 && u64::from(address) + crate::MSG_SIZE as u64 <= u64::from(memory_end());
        assert!(src < 0 || !fits, "Arena::recv_refused: this receive could block");
        // SAFETY: as for `call`.
        unsafe { sys::ipc_recv(src, address as usize as *mut Message) }
    }
}

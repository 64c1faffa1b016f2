//! Safe wrappers of the four IPC imports.

use crate::{Error, Message, TaskId, decode, sys};

/// The task serving `name`: `NOT_FOUND`, `DENIED` (not in the caller's manifest), `BAD_ARGUMENT`
/// (empty or longer than 32 bytes).
pub fn lookup(name: &str) -> Result<TaskId, Error> {
    // SAFETY: the kernel reads `name.len()` bytes at `name.as_ptr()`, all inside `name`.
    TaskId::from_return(unsafe { sys::ipc_lookup(name.as_ptr(), name.len()) })
}

/// [`lookup`], trying again every 100 ms for up to `ms` milliseconds while the service is
/// `NOT_FOUND` (it may start after us, as the network stack does at boot). `msg` is scratch
/// space for the kernel's timer notification; other notifications that come meanwhile are
/// consumed with it (calls from tasks stay queued).
pub fn lookup_waiting(name: &str, ms: u64, msg: &mut Message) -> Result<TaskId, Error> {
    let mut waited = 0;
    loop {
        match lookup(name) {
            Err(Error::NotFound) if waited < ms => {
                crate::kernel::set_timer(100_000_000)?;
                recv(Some(TaskId::KERNEL), msg)?;
                waited += 100;
            }
            found => return found,
        }
    }
}

/// Sends `msg` to `task` and blocks until its reply, which replaces `msg` (an error reply leaves
/// `msg` as sent).
pub fn call(task: TaskId, msg: &mut Message) -> Result<(), Error> {
    decode(call_status(task, msg)).map(drop)
}

/// [`call`] returning the import's status as it is: 0, or a negative error code
/// ([`Error::from_code`]). For hot loops and deep recursion: it builds no `Result`, which Rust
/// on wasm32 returns through memory (a shadow-stack slot in every caller's frame).
pub fn call_status(task: TaskId, msg: &mut Message) -> i32 {
    // SAFETY: `msg` is a whole, exclusively borrowed `MSG_SIZE` buffer, 8-byte aligned; the kernel
    // writes at most `MSG_SIZE` bytes into it and nothing else while we are blocked.
    unsafe { sys::ipc_call(task.get(), msg) }
}

/// Blocks until a message from `from` (`None`: any task) arrives in `msg`; returns its sender.
pub fn recv(from: Option<TaskId>, msg: &mut Message) -> Result<TaskId, Error> {
    let src = from.map_or(0, TaskId::get);
    // SAFETY: as for `call`: a whole, exclusively borrowed message buffer.
    TaskId::from_return(unsafe { sys::ipc_recv(src, msg) })
}

/// Answers `task`, which must be blocked in a call to us, with `msg`. Does not block.
pub fn reply(task: TaskId, msg: &Message) -> Result<(), Error> {
    // SAFETY: the kernel only reads the header and `len` payload bytes of `msg`.
    decode(unsafe { sys::ipc_reply(task.get(), msg) }).map(drop)
}

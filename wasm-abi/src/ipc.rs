//! Safe wrappers of the four IPC imports.

use crate::{Error, Message, TaskId, decode, sys};

/// The task serving `name`: `NOT_FOUND`, `DENIED` (not in the caller's manifest), `BAD_ARGUMENT`
/// (empty or longer than 32 bytes).
pub fn lookup(name: &str) -> Result<TaskId, Error> {
    // SAFETY: the kernel reads `name.len()` bytes at `name.as_ptr()`, all inside `name`.
    TaskId::from_return(unsafe { sys::ipc_lookup(name.as_ptr(), name.len()) })
}

/// Sends `msg` to `task` and blocks until its reply, which replaces `msg` (an error reply leaves
/// `msg` as sent).
pub fn call(task: TaskId, msg: &mut Message) -> Result<(), Error> {
    // SAFETY: `msg` is a whole, exclusively borrowed `MSG_SIZE` buffer, 8-byte aligned; the kernel
    // writes at most `MSG_SIZE` bytes into it and nothing else while we are blocked.
    decode(unsafe { sys::ipc_call(task.get(), msg) }).map(drop)
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

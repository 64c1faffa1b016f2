//! The four imports of module `"hayabusa"`: the only unsafe glue between a program and the kernel.
//!
//! Every argument is an `i32` in Wasm; pointers are offsets into the caller's linear memory.

use crate::Message;

#[link(wasm_import_module = "hayabusa")]
unsafe extern "C" {
    /// Task id of the service `name` (`name_len` UTF-8 bytes at `name`), or an error.
    pub fn ipc_lookup(name: *const u8, name_len: usize) -> i32;
    /// Sends `*msg` to `dst`, blocks, and receives the reply into `*msg` (a whole `MSG_SIZE` buffer).
    pub fn ipc_call(dst: i32, msg: *mut Message) -> i32;
    /// Blocks for a message from `src` (0: anyone), written to `*msg`; returns the sender.
    pub fn ipc_recv(src: i32, msg: *mut Message) -> i32;
    /// Answers `dst`, blocked in a call to us, with `*msg`; does not block.
    pub fn ipc_reply(dst: i32, msg: *const Message) -> i32;
}

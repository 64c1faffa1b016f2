//! Timing marks for the kernel's `bench ipc`: the import `bench_mark`, the one import besides the
//! four IPC calls. It brackets a batch of calls so the kernel can time them from the caller's
//! side; it returns nothing to the program (no clock is exposed) and does nothing unless the
//! kernel is recording this task (docs/abi.md, "Benchmark marks").

#[link(wasm_import_module = "hayabusa")]
unsafe extern "C" {
    fn bench_mark(dst: i32, arg: i32) -> i32;
}

use crate::TaskId;

/// Opens a batch of calls to `dst` (`None`: an empty batch, which measures the marks themselves).
pub fn start(dst: Option<TaskId>) {
    // SAFETY: plain integers; the import reads no memory.
    unsafe { bench_mark(dst.map_or(0, TaskId::get), 0) };
}

/// Closes the batch opened for `dst`: `calls` round trips (at least 1) with `len`-byte payloads.
pub fn end(dst: Option<TaskId>, calls: u16, len: u16) {
    let arg = (u32::from(len) << 16 | u32::from(calls.max(1))) as i32;
    // SAFETY: plain integers; the import reads no memory.
    unsafe { bench_mark(dst.map_or(0, TaskId::get), arg) };
}

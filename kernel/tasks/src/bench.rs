//! Timing for `bench ipc`, from the caller's side. While one task is being measured, its
//! `bench_mark` import brackets batches of calls made from its Wasm code: `bench_mark(dst, 0)`
//! opens a batch (the clock starts as the import returns to Wasm), `bench_mark(dst, calls |
//! len << 16)` closes it (the clock stops as the import is entered). A batch's cycles therefore
//! hold `calls` whole round trips as the caller's code sees them — the Wasm → kernel
//! transition, the checks and copies, the handler or both thread switches, and the way back —
//! plus one return from and one entry into `bench_mark`, measured alone by empty batches
//! (`dst` 0: the timer floor). The path of a batch is read from the server's counters.
//!
//! Also the floors the IPC paths are compared with: a plain kernel → Wasm call, and the
//! server's handler alone.
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use hayabusa_abi::{HEADER_SIZE, Header};
use hayabusa_ipc::{KERNEL_TASK, TaskId};

use crate::endpoint::Endpoint;
use crate::memory::with_bytes;
use crate::system::System;
use crate::table::{self, as_owner};
use crate::{TASK_STACK, direct};

/// Which path a batch's calls took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    Direct,
    Switch,
    /// Some of each (the server was busy now and then): not counted for either.
    Mixed,
    /// An empty batch: the timer's own cost.
    Floor,
}

/// One timed batch.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub dst: TaskId,
    pub len: u32,
    pub calls: u32,
    pub path: Path,
    pub cycles: u64,
}

impl Sample {
    /// Cycles per round trip.
    pub fn per_call(&self) -> u64 {
        self.cycles / u64::from(self.calls.max(1))
    }
}

/// The samples recorded so far (in the system's [`crate::State`], with the task recorded and the
/// start of its open batch).
pub struct Recording {
    samples: Vec<Sample>,
    /// The open batch: its server and that server's (direct, switch) counts at the start.
    open: Option<(TaskId, u64, u64)>,
}

impl Default for Recording {
    fn default() -> Recording {
        Recording::new()
    }
}

impl Recording {
    pub const fn new() -> Recording {
        Recording { samples: Vec::new(), open: None }
    }
}

/// Starts recording the batches of `task`, with room for `capacity` samples reserved up front.
pub fn start<S: System>(task: TaskId, capacity: usize) {
    let mut r = S::state().bench.lock();
    r.samples.clear();
    r.samples.reserve(capacity);
    r.open = None;
    S::state().bench_task.store(task, Ordering::Relaxed);
}

/// Stops recording and returns the samples.
pub fn stop<S: System>() -> Vec<Sample> {
    S::state().bench_task.store(0, Ordering::Relaxed);
    core::mem::take(&mut S::state().bench.lock().samples)
}

/// Calls served by `dst` so far on each path.
fn counts<S: System>(dst: TaskId) -> (u64, u64) {
    let table = table::lock::<S>();
    table.tasks.get(dst).map_or((0, 0), |t| (t.endpoint.as_ref().map_or(0, |ep| ep.calls()), t.switch_calls))
}

/// The `bench_mark(dst, arg)` import of `task` (see the module doc). Returns 0; does nothing
/// unless `bench ipc` is recording this task.
pub fn mark<S: System>(task: TaskId, dst: TaskId, arg: u32) -> i32 {
    let state = S::state();
    if state.bench_task.load(Ordering::Relaxed) != task {
        return 0;
    }
    let end = S::cycles();
    if arg == 0 {
        let (direct, switch) = counts::<S>(dst);
        state.bench.lock().open = Some((dst, direct, switch));
        state.bench_start.store(S::cycles(), Ordering::Relaxed);
        return 0;
    }
    let cycles = end.saturating_sub(state.bench_start.load(Ordering::Relaxed));
    let (calls, len) = (arg & 0xffff, arg >> 16);
    let (direct, switch) = counts::<S>(dst);
    let mut r = state.bench.lock();
    let Some((open_dst, direct0, switch0)) = r.open.take() else { return 0 };
    if open_dst != dst {
        return 0;
    }
    let path = match (direct - direct0, switch - switch0) {
        _ if dst == 0 => Path::Floor,
        (d, 0) if d == u64::from(calls) => Path::Direct,
        (0, s) if s == u64::from(calls) => Path::Switch,
        _ => Path::Mixed,
    };
    if r.samples.len() < r.samples.capacity() {
        r.samples.push(Sample { dst, len, calls, path, cycles });
    }
    0
}

/// Times `n` calls from the kernel into the `hayabusa_msg_buffer` export of the task providing
/// `service` (it returns a constant): a plain call into compiled code through the entry stub,
/// the floor the IPC paths are compared with. Made as the direct path calls the handler: the
/// server's own thread is inside `_start` (blocked in `ipc_recv`), so the runtime would refuse a
/// checked call into its instance from another thread; the endpoint is claimed instead, by the
/// timing thread for the whole benchmark, and the calls run unchecked (`call_raw_on`) on the
/// handler stack. `None` if the service does not run, has no direct path, or is not idle.
pub fn plain_calls<S: System>(service: &str, n: usize) -> Option<Vec<u64>> {
    let (f, ep) = {
        let table = table::lock::<S>();
        let task = table.tasks.get(table.registry.lookup(service).ok()?)?;
        (task.instance.as_ref()?.export_func("hayabusa_msg_buffer")?, task.endpoint.clone()?)
    };
    time_calls::<S>("bench-plain", ep, n, |_| {}, move |ep, slots| {
        slots[0] = 0;
        // SAFETY: the timing thread holds the endpoint's claim for the whole benchmark, so the
        // handler stack is ours and nothing else runs the server's code (its own thread waits in
        // `ipc_recv`).
        unsafe { f.call_raw_on(slots, ep.call_stack()) }.is_ok()
    })
}

/// Times `n` calls from the kernel straight into the handler (`hayabusa_handle`) of the task
/// providing `service`, on its handler stack, with an empty request of `kind` in its message
/// buffer: the server's own work on a 0-byte round trip, without the IPC around it. The server's
/// endpoint is claimed meanwhile exactly as for a direct-path call. `None` if the service does
/// not run, has no direct path, or is not idle.
pub fn handler_calls<S: System>(service: &str, kind: u32, n: usize) -> Option<Vec<u64>> {
    let ep = {
        let table = table::lock::<S>();
        table.tasks.get(table.registry.lookup(service).ok()?)?.endpoint.clone()?
    };
    let request = Header { kind, len: 0, sender: KERNEL_TASK, flags: 0 };
    let write_request = move |ep: &Endpoint<S>| {
        // SAFETY: claimed by this thread: the server's own thread waits in `ipc_recv` and
        // nothing else runs its code or touches its memory.
        unsafe { with_bytes(&ep.memory, |bytes| bytes[ep.buffer as usize..][..HEADER_SIZE].copy_from_slice(&request.encode())) };
    };
    time_calls::<S>("bench-handler", ep, n, write_request, |ep, slots| {
        slots[0] = KERNEL_TASK as u64;
        // SAFETY: the timing thread holds the endpoint's claim for the whole benchmark, so the
        // handler stack is ours and nothing else runs the server's code (its own thread waits in
        // `ipc_recv`).
        let ran = unsafe { ep.handle.call_raw_on(slots, ep.call_stack()) };
        ran.is_ok() && slots[0] == 0
    })
}

/// Ends a benchmark's claim of `ep`, from the thread that made it.
fn release<S: System>(ep: &Endpoint<S>, from: TaskId) {
    if ep.release(from).is_err() {
        direct::end_serving(&mut table::lock::<S>(), ep);
    }
}

/// Round trips per timed batch of [`time_calls`]: the clock is read around a batch, so its own
/// cost and granularity (10 ns in some virtual machines) spread over the batch.
const FLOOR_BATCH: usize = 16;

/// Times `n` runs of `call` (which calls into the server of `ep` on the slots it gets and says
/// whether the call counts), on a thread of its own (compiled code needs a stack with known
/// bounds) that claims `ep` for the whole run as a direct call would (so a kill of the server
/// reaches the thread running its code), runs `setup` once claimed, and releases it at the end.
/// In batches of [`FLOOR_BATCH`]: TSC cycles per call of each batch whose calls all counted.
/// `None` if the server is not idle or no thread could be made.
fn time_calls<S: System>(
    name: &str,
    ep: Arc<Endpoint<S>>,
    n: usize,
    setup: impl FnOnce(&Endpoint<S>) + Send + 'static,
    call: impl Fn(&Endpoint<S>, &mut [u64]) -> bool + Send + 'static,
) -> Option<Vec<u64>> {
    let result = Arc::new(spin::Mutex::new(None));
    let out = result.clone();
    let ran = S::run_on_thread(
        name,
        TASK_STACK,
        alloc::boxed::Box::new(move || {
            let Some(from) = ep.claim(KERNEL_TASK) else { return };
            setup(&ep);
            let batches = n.div_ceil(FLOOR_BATCH);
            let mut cycles = Vec::with_capacity(batches);
            as_owner(&ep.ctl, || {
                for _ in 0..batches {
                    let mut ok = true;
                    let start = S::cycles();
                    for _ in 0..FLOOR_BATCH {
                        let mut slots = [0u64];
                        ok &= call(&ep, &mut slots);
                    }
                    let end = S::cycles();
                    if ok {
                        cycles.push((end - start) / FLOOR_BATCH as u64);
                    }
                }
            });
            release::<S>(&ep, from);
            *out.lock() = Some(cycles);
        }),
    );
    if !ran {
        return None;
    }
    result.lock().take()
}

//! Timing of `ipc_call` for `bench ipc`: while one task is being measured, each of its
//! successful calls to another task is timed in TSC cycles inside the import (from entering the
//! kernel to returning to Wasm: checks, copies, the handler or both thread switches) and
//! recorded with its path and payload length.
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};

use hayabusa_abi::{HEADER_SIZE, Header};

use crate::arch::cpu::rdtsc;
use crate::arch::irqlock::IrqMutex;
use crate::ipc::{KERNEL_TASK, TaskId};
use crate::wasm::memory::with_bytes;
use crate::wasm::platform::FuncHandle;

/// One timed call.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub dst: TaskId,
    pub len: u32,
    pub direct: bool,
    pub cycles: u64,
}

/// The task being measured (0: none).
static TASK: AtomicI32 = AtomicI32::new(0);
static SAMPLES: IrqMutex<Vec<Sample>> = IrqMutex::new(Vec::new());

/// Starts recording the calls of `task`, with room for `capacity` samples reserved up front.
pub fn start(task: TaskId, capacity: usize) {
    let mut samples = SAMPLES.lock();
    samples.clear();
    samples.reserve(capacity);
    TASK.store(task, Ordering::Relaxed);
}

/// Stops recording and returns the samples.
pub fn stop() -> Vec<Sample> {
    TASK.store(0, Ordering::Relaxed);
    core::mem::take(&mut *SAMPLES.lock())
}

/// Whether `task`'s calls are being timed.
pub fn recording(task: TaskId) -> bool {
    TASK.load(Ordering::Relaxed) == task
}

pub(super) fn record(dst: TaskId, len: u32, direct: bool, cycles: u64) {
    SAMPLES.lock().push(Sample { dst, len, direct, cycles });
}

/// Times `n` calls from the kernel into the `hayabusa_msg_buffer` export of the task providing
/// `service` (it returns a constant): a plain call into compiled code through the entry stub,
/// the floor the IPC paths are compared with. Runs on a thread of its own, since compiled code
/// needs a stack with known bounds. `None` if the service or export is not there.
pub fn plain_calls(service: &str, n: usize) -> Option<Vec<u64>> {
    let (f, ctl) = {
        let table = super::TABLE.lock();
        let id = table.registry.lookup(service).ok()?;
        let task = table.tasks.get(id)?;
        (task.instance.as_ref()?.export_func("hayabusa_msg_buffer")?, task.ctl.clone())
    };
    time_calls("bench-plain", f, ctl, 0, n, |_| true)
}

/// Times `n` calls from the kernel straight into the handler (`hayabusa_handle`) of the task
/// providing `service`, with an empty request of `kind` in its message buffer: the server's own
/// work on a 0-byte round trip, without the IPC around it. The server is taken out of service
/// meanwhile exactly as for a direct-path call. `None` if the service does not run, has no
/// handler, or is not idle.
pub fn handler_calls(service: &str, kind: u32, n: usize) -> Option<Vec<u64>> {
    let (direct, ctl, id) = {
        let mut table = super::TABLE.lock();
        let t = &mut *table;
        let id = t.registry.lookup(service).ok()?;
        let task = t.tasks.get(id)?;
        if !task.direct_ready(&t.rdv, KERNEL_TASK) {
            return None;
        }
        let (direct, ctl, mem) = (task.direct.clone()?, task.ctl.clone(), task.memory.clone()?);
        let request = Header { kind, len: 0, sender: KERNEL_TASK, flags: 0 };
        with_bytes(&mem, |bytes| bytes[direct.buffer as usize..][..HEADER_SIZE].copy_from_slice(&request.encode()));
        super::imports::begin_serving(t, id);
        (direct, ctl, id)
    };
    let cycles = time_calls("bench-handler", direct.handle.clone(), ctl, KERNEL_TASK as u64, n, |result| result == 0);
    let mut table = super::TABLE.lock();
    super::imports::end_serving(&mut table, id);
    cycles
}

/// Times `n` calls of `f` (one argument slot, `arg`) as the task of `ctl`, on a thread of its own
/// (compiled code needs a stack with known bounds), in TSC cycles; a call counts when it did not
/// trap and `ok` accepts its result slot.
fn time_calls(name: &str, f: FuncHandle, ctl: Arc<super::Ctl>, arg: u64, n: usize, ok: fn(u64) -> bool) -> Option<Vec<u64>> {
    crate::sched::run_on_thread(name, super::TASK_STACK, move || {
        let mut cycles = Vec::with_capacity(n);
        super::as_owner(&ctl, || {
            for _ in 0..n {
                let mut slots = [arg];
                let start = rdtsc();
                let ran = f.call_raw(&mut slots).is_ok();
                let end = rdtsc();
                if ran && ok(slots[0]) {
                    cycles.push(end - start);
                }
            }
        });
        cycles
    })
    .ok()
}

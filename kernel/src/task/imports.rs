//! The four IPC imports of a task — `ipc_lookup`, `ipc_call`, `ipc_recv`, `ipc_reply` — as host
//! functions bound to the task (semantics: `docs/abi.md`, rules: `crate::ipc`).
//!
//! `ipc_call` picks the path per call. *Direct*: the server exports a handler and its own
//! thread waits in `ipc_recv`, so none of its code runs: the request is copied into its
//! message buffer, its `hayabusa_handle` runs on the caller's thread, and the reply is copied
//! back — no scheduler, no stack switch. Its `ipc_recv` is withdrawn from the rendezvous
//! meanwhile, so a second caller queues. *Switch*: the rendezvous state machine decides;
//! messages are copied from memory to memory under the table lock, and threads block and wake.
//!
//! A task that is being killed leaves an import through `wasm::trap::cancel_now`, which
//! abandons its code back to the entry stub; the closures below own nothing at that point.
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;

use hayabusa_abi::{Error, Header};
use hayabusa_compiler::Sig;
use hayabusa_compiler::module::ValType;

use super::{Ctl, End, TABLE, Table, as_owner, bench, kernel_requests, wake_all};
use crate::arch::cpu::rdtsc;
use crate::arch::irqlock::IrqMutexGuard;
use crate::ipc::message::{Reply, check_buffer, check_reply, check_request, deliver, read_name};
use crate::ipc::rendezvous::{Effect, Effects, Rendezvous, Wait};
use crate::ipc::{KERNEL_TASK, TaskId};
use crate::sched;
use crate::wasm::memory::{with_bytes, with_two};
use crate::wasm::platform::FuncHandle;
use crate::wasm::trap;

/// The task is being killed: its code must be abandoned.
pub(super) struct Cancelled;

/// What an import returns: the ABI result (`>= 0`, or a negative error code), or cancellation.
pub(super) type Outcome = Result<i32, Cancelled>;

fn code(result: Result<i32, Error>) -> i32 {
    result.unwrap_or_else(Error::code)
}

/// The imports for the task of `ctl`, by name.
pub(super) fn for_task(ctl: &Arc<Ctl>) -> [(&'static str, FuncHandle); 4] {
    [
        ("ipc_lookup", import(ctl, |ctl, a, b| lookup(ctl, a as u32, b as u32))),
        ("ipc_call", import(ctl, timed_call)),
        ("ipc_recv", import(ctl, |ctl, a, b| recv(ctl, a, b as u32))),
        ("ipc_reply", import(ctl, |ctl, a, b| reply(ctl, a, b as u32))),
    ]
}

/// An `(i32, i32) -> i32` host function running `body` for the task of `ctl`.
fn import(ctl: &Arc<Ctl>, body: fn(&Ctl, i32, i32) -> Outcome) -> FuncHandle {
    let ctl = ctl.clone();
    FuncHandle::host_raw(
        Sig { params: vec![ValType::I32; 2], results: vec![ValType::I32] },
        Box::new(move |slots| match body(&ctl, slots[0] as u32 as i32, slots[1] as u32 as i32) {
            Ok(result) => slots[0] = u64::from(result as u32),
            // Nothing here or in the dispatch above owns anything: `ctl` belongs to the closure.
            Err(Cancelled) => trap::cancel_now(),
        }),
    )
}

/// Blocks until the rendezvous gives a result to the wait this thread made for `ctl`'s task
/// (`slot`), or the task is killed.
fn wait(ctl: &Ctl) -> Result<Result<i32, Error>, Cancelled> {
    let me = sched::current();
    loop {
        {
            let mut table = TABLE.lock();
            let Some(task) = table.tasks.get_mut(ctl.id) else { return Err(Cancelled) };
            if task.rdv_thread == me
                && let Some(result) = task.slot.take()
            {
                return Ok(result);
            }
            if ctl.killed() {
                return Err(Cancelled);
            }
        }
        sched::block();
    }
}

/// Carries out rendezvous effects: copies delivered requests, fills result slots, and wakes
/// the threads concerned (they run once the table is unlocked and the caller blocks or yields;
/// the scheduler never takes the table lock, so waking under it is safe).
fn apply(table: &mut Table, effects: &[Effect]) {
    for effect in effects {
        match *effect {
            Effect::Deliver { caller, server } => {
                let result = match copy_request(table, caller, server) {
                    Ok(()) => Ok(caller),
                    Err(e) => {
                        // Cannot happen (both buffers were checked and memories do not shrink),
                        // but if it did, both sides learn of it rather than wait forever.
                        log::error!("ipc: delivering task {caller}'s call to task {server}: {e}");
                        if let Ok(more) = table.rdv.reply(server, caller, true, Err(e)) {
                            apply(table, more.as_slice());
                        }
                        Err(e)
                    }
                };
                if let Some(s) = table.tasks.get_mut(server) {
                    s.slot = Some(result);
                    s.switch_calls += 1;
                    sched::wake(s.rdv_thread);
                }
            }
            Effect::Wake { task, result } => {
                if let Some(t) = table.tasks.get_mut(task) {
                    t.slot = Some(result.map(|()| 0));
                    sched::wake(t.rdv_thread);
                }
            }
            Effect::Block => {}
        }
    }
}

/// Copies `caller`'s pending call into `server`'s receive buffer.
fn copy_request(table: &Table, caller: TaskId, server: TaskId) -> Result<(), Error> {
    let c = table.tasks.get(caller).ok_or(Error::NoSuchTask)?;
    let s = table.tasks.get(server).ok_or(Error::NoSuchTask)?;
    let (call_ptr, recv_ptr) = (c.call_ptr, s.recv_ptr);
    with_two(c.memory()?, s.memory()?, |src, dst| {
        let header = check_request(src, call_ptr)?;
        check_buffer(dst, recv_ptr)?;
        deliver(src, call_ptr, header, dst, recv_ptr, caller)
    })
}

fn lookup(ctl: &Ctl, ptr: u32, len: u32) -> Outcome {
    let table = TABLE.lock();
    let task = table.tasks.get(ctl.id).ok_or(Cancelled)?;
    let result = task.memory().and_then(|mem| {
        with_bytes(mem, |bytes| {
            let name = read_name(bytes, ptr, len)?;
            if !task.entry.may_reach(name) {
                return Err(Error::Denied);
            }
            table.registry.lookup(name)
        })
    });
    Ok(code(result))
}

/// What `ipc_call` did, for the benchmark.
#[derive(Default)]
pub(super) struct CallInfo {
    /// Payload length of the request (once checked).
    pub len: u32,
    /// Some(true) for the direct path, Some(false) for the switch path, None for task 1 or an
    /// error before either.
    pub direct: Option<bool>,
}

/// `ipc_call`, timed in TSC cycles while a benchmark records this task's calls.
fn timed_call(ctl: &Ctl, dst: i32, ptr: i32) -> Outcome {
    if !bench::recording(ctl.id) {
        return call(ctl, dst, ptr as u32, &mut CallInfo::default());
    }
    let mut info = CallInfo::default();
    let start = rdtsc();
    let result = call(ctl, dst, ptr as u32, &mut info);
    let cycles = rdtsc() - start;
    if let (Ok(0), Some(direct)) = (&result, info.direct) {
        bench::record(dst, info.len, direct, cycles);
    }
    result
}

fn call(ctl: &Ctl, dst: TaskId, ptr: u32, info: &mut CallInfo) -> Outcome {
    let id = ctl.id;
    let mut table = TABLE.lock();
    let t = &mut *table;
    let caller = t.tasks.get(id).ok_or(Cancelled)?;
    let header = match caller.memory().and_then(|mem| with_bytes(mem, |bytes| check_request(bytes, ptr))) {
        Ok(header) => header,
        Err(e) => return Ok(e.code()),
    };
    info.len = header.len;
    if dst == id {
        return Ok(Error::CallSelf.code());
    }
    if dst == KERNEL_TASK {
        drop(table);
        return kernel_requests::handle(ctl, ptr, header);
    }
    if !t.tasks.contains_key(dst) {
        return Ok(Error::NoSuchTask.code());
    }
    if !t.may_call(id, dst) {
        return Ok(Error::Denied.code());
    }
    let server = t.tasks.get(dst).expect("checked above");
    if server.ctl.killed() {
        return Ok(Error::PeerDied.code());
    }
    let me = sched::current();
    if server.thread == me {
        // A handler running on its caller's thread (direct path) calls that caller back: the
        // caller's own thread could never receive it. Refused like any re-entered handler.
        return Ok(Error::Busy.code());
    }
    if server.direct_ready(&t.rdv, id) {
        info.direct = Some(true);
        return direct(table, ctl, dst, ptr, header);
    }
    info.direct = Some(false);
    t.tasks.get_mut(id).ok_or(Cancelled)?.call_ptr = ptr;
    rendezvous_wait(table, ctl, |rdv| rdv.call(id, dst)).map(|result| code(result.map(|_| 0)))
}

/// A blocking rendezvous step of `ctl`'s task on this thread (a call on the switch path, or a
/// receive): its result slot is cleared and claimed by this thread, `step` runs, its effects are
/// carried out, and the thread waits, unlocked, for the result. A step refused at once returns
/// its error without blocking.
fn rendezvous_wait(
    mut table: IrqMutexGuard<'_, Table>,
    ctl: &Ctl,
    step: impl FnOnce(&mut Rendezvous) -> Result<Effects, Error>,
) -> Result<Result<i32, Error>, Cancelled> {
    let t = &mut *table;
    let task = t.tasks.get_mut(ctl.id).ok_or(Cancelled)?;
    task.slot = None;
    task.rdv_thread = sched::current();
    let effects = match step(&mut t.rdv) {
        Ok(effects) => effects,
        Err(e) => return Ok(Err(e)),
    };
    apply(t, effects.as_slice());
    drop(table);
    wait(ctl)
}

/// The direct path (the server was found ready under the lock the caller passes in).
fn direct(mut table: IrqMutexGuard<'_, Table>, ctl: &Ctl, dst: TaskId, ptr: u32, header: Header) -> Outcome {
    let id = ctl.id;
    let t = &mut *table;
    let caller_mem = t.tasks.get(id).ok_or(Cancelled)?.memory.clone().expect("checked by the request");
    begin_serving(t, dst);
    let server = t.tasks.get_mut(dst).expect("looked up by the caller");
    let direct = server.direct.clone().expect("direct_ready checked the exports");
    let (handle, buffer) = (&direct.handle, direct.buffer);
    let server_ctl = server.ctl.clone();
    let server_mem = server.memory.clone().expect("a server with a message buffer has a memory");
    server.direct_calls += 1;
    let copied = with_two(&caller_mem, &server_mem, |src, dst_bytes| deliver(src, ptr, header, dst_bytes, buffer, id));
    // The request copied (it cannot fail: both buffers were checked), the handler runs
    // unlocked, on this thread, as the server.
    let outcome = match copied {
        Err(e) => Err(e),
        Ok(()) => {
            drop(table);
            let mut slots = [u64::from(id as u32)];
            let ran = as_owner(&server_ctl, || handle.call_raw(&mut slots));
            table = TABLE.lock();
            Ok(ran.map(|()| slots[0] as u32 as i32))
        }
    };
    let t = &mut *table;
    let result: Result<i32, Error> = match outcome {
        Err(e) => Err(e),
        Ok(_) if !t.tasks.contains_key(dst) || server_ctl.killed() => Err(Error::PeerDied),
        Ok(Err(trap)) => {
            wake_all(t.mark_ending(dst, End::Trapped(trap)));
            Err(Error::PeerDied)
        }
        Ok(Ok(code)) if code < 0 => Err(Error::from_code(code).unwrap_or(Error::Unknown)),
        Ok(Ok(code)) if code > 0 => Err(Error::Unsupported),
        Ok(Ok(_)) => with_two(&server_mem, &caller_mem, |src, dst_bytes| match check_reply(src, buffer)? {
            Reply::Message(h) => deliver(src, buffer, h, dst_bytes, ptr, dst).map(|()| 0),
            Reply::Error(e) => Err(e),
        }),
    };
    end_serving(t, dst);
    drop(table);
    drop(direct);
    if ctl.killed() {
        return Err(Cancelled);
    }
    Ok(code(result))
}

/// Takes server `dst` (found `direct_ready`) out of the rendezvous while its handler runs
/// elsewhere: its `ipc_recv` is withdrawn (callers arriving meanwhile queue) and whom it was
/// receiving from is kept in `serving`, for [`end_serving`].
pub(super) fn begin_serving(t: &mut Table, dst: TaskId) {
    let from = t.rdv.withdraw_recv(dst).expect("direct_ready checked the server receives");
    if let Some(server) = t.tasks.get_mut(dst) {
        server.serving = Some(from);
    }
}

/// Puts server `dst` back: unless it is ending, its own thread receives again (from whom it
/// received before), and gets a caller that queued meanwhile at once.
pub(super) fn end_serving(t: &mut Table, dst: TaskId) {
    let Some(from) = t.tasks.get_mut(dst).and_then(|s| s.serving.take()) else { return };
    let from_alive = from == 0 || t.alive(from);
    let Some(s) = t.tasks.get_mut(dst) else { return };
    if s.ctl.killed() {
        return;
    }
    s.slot = None;
    s.rdv_thread = s.thread;
    match t.rdv.recv(dst, from, from_alive) {
        Ok(effects) => apply(t, effects.as_slice()),
        Err(e) => {
            s.slot = Some(Err(e));
            sched::wake(s.thread);
        }
    }
}

fn recv(ctl: &Ctl, src: TaskId, ptr: u32) -> Outcome {
    let id = ctl.id;
    let me = sched::current();
    let mut table = TABLE.lock();
    let t = &mut *table;
    let task = t.tasks.get(id).ok_or(Cancelled)?;
    if task.thread != me {
        // A handler running on a caller's thread (direct path) cannot also receive.
        return Ok(Error::Busy.code());
    }
    if let Err(e) = task.memory().and_then(|mem| with_bytes(mem, |bytes| check_buffer(bytes, ptr))) {
        return Ok(e.code());
    }
    if src == id {
        return Ok(Error::CallSelf.code());
    }
    let src_alive = src > 0 && t.alive(src);
    t.tasks.get_mut(id).ok_or(Cancelled)?.recv_ptr = ptr;
    rendezvous_wait(table, ctl, |rdv| rdv.recv(id, src, src_alive)).map(code)
}

fn reply(ctl: &Ctl, dst: TaskId, ptr: u32) -> Outcome {
    let id = ctl.id;
    let mut table = TABLE.lock();
    let t = &mut *table;
    let server = t.tasks.get(id).ok_or(Cancelled)?;
    let server_mem = match server.memory() {
        Ok(mem) => mem.clone(),
        Err(e) => return Ok(e.code()),
    };
    let answer = match with_bytes(&server_mem, |bytes| check_reply(bytes, ptr)) {
        Ok(answer) => answer,
        Err(e) => return Ok(e.code()),
    };
    if !t.alive(dst) {
        return Ok(Error::NoSuchTask.code());
    }
    if t.rdv.wait_of(dst) != Some(Wait::Reply { server: id }) {
        return Ok(Error::NotWaiting.code());
    }
    let caller = t.tasks.get(dst).expect("alive");
    let call_ptr = caller.call_ptr;
    let result = match answer {
        Reply::Message(h) => match caller.memory() {
            Ok(caller_mem) => with_two(&server_mem, caller_mem, |src, dst_bytes| deliver(src, ptr, h, dst_bytes, call_ptr, id)),
            Err(e) => Err(e),
        },
        Reply::Error(e) => Err(e),
    };
    let effects = match t.rdv.reply(id, dst, true, result) {
        Ok(effects) => effects,
        Err(e) => return Ok(e.code()),
    };
    apply(t, effects.as_slice());
    Ok(0)
}

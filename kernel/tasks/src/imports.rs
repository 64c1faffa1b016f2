//! The four IPC imports of a task — `ipc_lookup`, `ipc_call`, `ipc_recv`, `ipc_reply` — as host
//! functions bound to the task (semantics: `docs/abi.md`, rules: `crate::ipc`).
//!
//! `ipc_call` picks the path per call. *Direct* ([`crate::direct`]): the caller has a link to
//! the server (permission decided once, [`crate::links`]) and claims its endpoint, which is
//! possible when the server's own thread waits in `ipc_recv` with nobody queued, so none of its
//! code runs: the handler runs on this thread, on the server's handler stack, without the table
//! lock. The first call to a server takes the slow path below, which checks permission under the
//! lock and makes the link. *Switch*: the rendezvous state machine decides; messages are copied
//! from memory to memory under the table lock, and threads block and wake.
//!
//! A task that is being killed leaves an import through `System::cancel_now`, which
//! abandons its code back to the entry stub; the closures below own nothing at that point.
use alloc::sync::Arc;
use alloc::vec;

use hayabusa_abi::{Error, Header};
use hayabusa_compiler::Sig;
use hayabusa_compiler::module::ValType;
use hayabusa_ipc::message::{Reply, check_buffer, check_reply, check_request, deliver, read_name};
use hayabusa_ipc::rendezvous::{Effect, Effects, Rendezvous, Wait};
use hayabusa_ipc::{KERNEL_TASK, TaskId};

use crate::memory::{with_bytes, with_two};
use crate::system::System;
use crate::table::{self, Ctl, Table};
use crate::{FuncHandle, Guard, Memory, bench, direct, kernel_requests, links, notify, steps};

/// The task is being killed: its code must be abandoned.
pub struct Cancelled;

/// What an import returns: the ABI result (`>= 0`, or a negative error code), or cancellation.
pub type Outcome = Result<i32, Cancelled>;

pub fn code(result: Result<i32, Error>) -> i32 {
    result.unwrap_or_else(Error::code)
}

/// The imports for the task of `ctl`, by name: the four IPC calls, and `bench_mark` (timing
/// marks for `bench ipc`, see `bench`).
pub fn for_task<S: System>(ctl: &Arc<Ctl<S>>) -> [(&'static str, FuncHandle<S>); 5] {
    [
        ("ipc_lookup", import(ctl, |ctl, a, b| lookup(ctl, a as u32, b as u32))),
        ("ipc_call", import(ctl, |ctl, a, b| call(ctl, a, b as u32))),
        ("ipc_recv", import(ctl, |ctl, a, b| recv(ctl, a, b as u32))),
        ("ipc_reply", import(ctl, |ctl, a, b| reply(ctl, a, b as u32))),
        ("bench_mark", import(ctl, |ctl, a, b| Ok(bench::mark::<S>(ctl.id, a, b as u32)))),
    ]
}

/// An `(i32, i32) -> i32` host function running `body` for the task of `ctl` (generic, so the
/// body is called directly, not through a function pointer).
fn import<S: System>(ctl: &Arc<Ctl<S>>, body: impl Fn(&Ctl<S>, i32, i32) -> Outcome + Send + Sync + 'static) -> FuncHandle<S> {
    let ctl = ctl.clone();
    FuncHandle::<S>::host_raw(
        Sig { params: vec![ValType::I32; 2], results: vec![ValType::I32] },
        move |slots| match body(&ctl, slots[0] as u32 as i32, slots[1] as u32 as i32) {
            Ok(result) => slots[0] = u64::from(result as u32),
            // Nothing here or in the dispatch above owns anything: `ctl` belongs to the closure.
            Err(Cancelled) => S::cancel_now(),
        },
    )
}

/// Blocks until the rendezvous gives a result to the wait this thread made for `ctl`'s task
/// (`slot`), or the task is killed.
pub(crate) fn wait<S: System>(ctl: &Ctl<S>) -> Result<Result<i32, Error>, Cancelled> {
    let me = S::current();
    loop {
        {
            let mut table = table::lock::<S>();
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
        S::block();
    }
}

/// Carries out rendezvous effects: copies delivered requests, fills result slots, and wakes
/// the threads concerned (they run once the table is unlocked and the caller blocks or yields;
/// the scheduler never takes the table lock, so waking under it is safe).
pub fn apply<S: System>(table: &mut Table<S>, effects: &[Effect]) {
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
                    S::wake(s.rdv_thread);
                }
            }
            // Only callers awaiting a reply are woken here (a receive woken by a task's death is
            // handled in `finish`, which also closes its endpoint).
            Effect::Wake { task, result } => {
                if let Some(t) = table.tasks.get_mut(task) {
                    t.slot = Some(result.map(|()| 0));
                    S::wake(t.rdv_thread);
                }
            }
            Effect::Block => {}
        }
    }
}

/// Copies `caller`'s pending call into `server`'s receive buffer.
fn copy_request<S: System>(table: &Table<S>, caller: TaskId, server: TaskId) -> Result<(), Error> {
    let c = table.tasks.get(caller).ok_or(Error::NoSuchTask)?;
    let s = table.tasks.get(server).ok_or(Error::NoSuchTask)?;
    let (call_ptr, recv_ptr) = (c.call_ptr, s.recv_ptr);
    // SAFETY: the caller is queued in the rendezvous and the server blocked in `ipc_recv`: the
    // code of neither runs (`memory`).
    unsafe {
        with_two(c.memory()?, s.memory()?, |src, dst| {
            let header = check_request(src, call_ptr)?;
            check_buffer(dst, recv_ptr)?;
            deliver(src, call_ptr, header, dst, recv_ptr, caller)
        })
    }
}

fn lookup<S: System>(ctl: &Ctl<S>, ptr: u32, len: u32) -> Outcome {
    let table = table::lock::<S>();
    let task = table.tasks.get(ctl.id).ok_or(Cancelled)?;
    let result = task.memory().and_then(|mem| {
        // SAFETY: the task's own memory, while its code is stopped in this import.
        unsafe { with_bytes(mem, |bytes| {
            let name = read_name(bytes, ptr, len)?;
            if !task.entry.may_reach(name) {
                return Err(Error::Denied);
            }
            table.registry.lookup(name)
        }) }
    });
    Ok(code(result))
}

fn call<S: System>(ctl: &Ctl<S>, dst: TaskId, ptr: u32) -> Outcome {
    steps::begin::<S>();
    let Some(mem) = ctl.memory.get() else { return Ok(Error::BadPointer.code()) };
    // SAFETY: the task's own memory, while its code is stopped in this import.
    let header = match unsafe { with_bytes(mem, |bytes| check_request(bytes, ptr)) } {
        Ok(header) => header,
        Err(e) => return Ok(e.code()),
    };
    steps::step::<S>(0);
    // The direct path: a link made earlier, and the server claimed with one atomic operation.
    if let Some(links) = ctl.links.try_lock()
        && let Some(ep) = links.get(dst)
        && let Some(from) = ep.claim(ctl.id)
    {
        steps::claimed::<S>(header.len == 0);
        return direct::serve(ctl, mem, ep, from, ptr, header);
    }
    call_slow(ctl, mem, dst, ptr, header)
}

/// `ipc_call` under the table lock: every check, a link for the next call, then the direct
/// path if the server can be claimed, else the switch path.
fn call_slow<S: System>(ctl: &Ctl<S>, mem: &Memory<S>, dst: TaskId, ptr: u32, header: Header) -> Outcome {
    let id = ctl.id;
    if dst == id {
        return Ok(Error::CallSelf.code());
    }
    if dst == KERNEL_TASK {
        return kernel_requests::handle(ctl, ptr, header);
    }
    let mut table = table::lock::<S>();
    let t = &mut *table;
    if !t.tasks.contains_key(id) {
        return Err(Cancelled);
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
    if t.natives.serves(dst) {
        return crate::native::call(table, ctl, mem, dst, ptr, header);
    }
    let me = S::current();
    if server.thread == me {
        // A handler running on its caller's thread (direct path) calls that caller back: the
        // caller's own thread could never receive it. Refused like any re-entered handler.
        return Ok(Error::Busy.code());
    }
    if let Some(ep) = server.endpoint.clone() {
        if ep.serving_thread() == Some(me) {
            // This thread runs that server's handler further up: it could never return to us.
            return Ok(Error::Busy.code());
        }
        if let Some(mut links) = ctl.links.try_lock() {
            links.insert(links::generation::<S>(), dst, ep.clone());
        }
        if let Some(from) = ep.claim(id) {
            drop(table);
            return direct::serve(ctl, mem, &ep, from, ptr, header);
        }
    }
    // The switch path. A handler's own blocking call uses its task's wait slot, and the server's
    // `ipc_recv` must not be in a direct call's hands.
    if t.tasks.get(id).is_some_and(|c| c.thread != me) {
        direct::suspend(t, id);
    }
    direct::suspend(t, dst);
    t.tasks.get_mut(id).ok_or(Cancelled)?.call_ptr = ptr;
    rendezvous_wait(table, ctl, None, |rdv| rdv.call(id, dst)).map(|result| code(result.map(|_| 0)))
}

/// A blocking rendezvous step of `ctl`'s task on this thread (a call on the switch path, or a
/// receive): its result slot is cleared and claimed by this thread, `step` runs, its effects are
/// carried out, and the thread waits, unlocked, for the result. A step refused at once returns
/// its error without blocking. `recv_from`: the step is the task's own `ipc_recv` from that
/// task (0: anyone); if it blocks with nobody to receive, a server becomes callable directly.
fn rendezvous_wait<S: System>(
    mut table: Guard<'_, S, Table<S>>,
    ctl: &Ctl<S>,
    recv_from: Option<TaskId>,
    step: impl FnOnce(&mut Rendezvous) -> Result<Effects, Error>,
) -> Result<Result<i32, Error>, Cancelled> {
    let t = &mut *table;
    let task = t.tasks.get_mut(ctl.id).ok_or(Cancelled)?;
    task.slot = None;
    task.rdv_thread = S::current();
    let effects = match step(&mut t.rdv) {
        Ok(effects) => effects,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(from) = recv_from
        && effects.as_slice() == [Effect::Block]
        && let Some(ep) = t.tasks.get(ctl.id).and_then(|task| task.endpoint.as_ref())
    {
        ep.open(from);
    }
    apply(t, effects.as_slice());
    drop(table);
    wait(ctl)
}

fn recv<S: System>(ctl: &Ctl<S>, src: TaskId, ptr: u32) -> Outcome {
    let id = ctl.id;
    let me = S::current();
    let mut table = table::lock::<S>();
    let t = &mut *table;
    let task = t.tasks.get(id).ok_or(Cancelled)?;
    if task.thread != me {
        // A handler running on a caller's thread (direct path) cannot also receive.
        return Ok(Error::Busy.code());
    }
    // SAFETY: the task's own memory, while its code is stopped in this import.
    if let Err(e) = task.memory().and_then(|mem| unsafe { with_bytes(mem, |bytes| check_buffer(bytes, ptr)) }) {
        return Ok(e.code());
    }
    if src == id {
        return Ok(Error::CallSelf.code());
    }
    if notify::pending(t, id, src)
        && let Some(result) = notify::take(t, id, ptr)
    {
        return Ok(code(result));
    }
    // Task 1 never calls: receiving from it waits for notifications only.
    let src_alive = src == KERNEL_TASK || (src > 0 && t.alive(src));
    t.tasks.get_mut(id).ok_or(Cancelled)?.recv_ptr = ptr;
    rendezvous_wait(table, ctl, Some(src), |rdv| rdv.recv(id, src, src_alive)).map(code)
}

fn reply<S: System>(ctl: &Ctl<S>, dst: TaskId, ptr: u32) -> Outcome {
    let id = ctl.id;
    let mut table = table::lock::<S>();
    let t = &mut *table;
    let server = t.tasks.get(id).ok_or(Cancelled)?;
    let server_mem = match server.memory() {
        Ok(mem) => mem.clone(),
        Err(e) => return Ok(e.code()),
    };
    // SAFETY: the task's own memory, while its code is stopped in this import.
    let answer = match unsafe { with_bytes(&server_mem, |bytes| check_reply(bytes, ptr)) } {
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
            // SAFETY: ours, stopped in this import, and the caller's, which waits for this reply
            // (checked above): the code of neither runs.
            Ok(caller_mem) => unsafe { with_two(&server_mem, caller_mem, |src, dst_bytes| deliver(src, ptr, h, dst_bytes, call_ptr, id)) },
            Err(e) => Err(e),
        },
        // Not as if the kernel had said it: see `Error::from_server`.
        Reply::Error(e) => Err(Error::from_server(e.code())),
    };
    let effects = match t.rdv.reply(id, dst, true, result) {
        Ok(effects) => effects,
        Err(e) => return Ok(e.code()),
    };
    apply(t, effects.as_slice());
    Ok(0)
}

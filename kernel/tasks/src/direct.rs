//! The direct path of `ipc_call`: the caller claims the server's endpoint with one atomic
//! operation, copies the request into the server's message buffer, runs `hayabusa_handle` on
//! the server's own handler stack (this thread, no scheduler, no lock), copies the reply back
//! and releases the endpoint. The server's own thread stays blocked in `ipc_recv` throughout,
//! untouched; only when something happened meanwhile (a switch-path caller queued, the handler
//! made a blocking call, the server is ending) does the release take the task table's lock.
//!
//! The unsafe blocks here rest on the claim (see `endpoint`): while a caller holds it, nothing
//! else reads or writes the server's memory or uses its handler stack, and the caller's own
//! memory is written by nobody but this import.
use hayabusa_abi::{Error, Header};
use hayabusa_ipc::{KERNEL_TASK, TaskId};
use hayabusa_ipc::message::{Reply, check_reply, deliver};
use hayabusa_ipc::rendezvous::Effect;

use crate::Memory;
use crate::endpoint::{Contended, Endpoint};
use crate::imports::{Cancelled, Outcome, apply, code};
use crate::memory::with_two;
use crate::{notify, steps};
use crate::system::System;
use crate::table::{self, Ctl, End, Table, as_owner, rouse};

/// Runs a direct call of `ctl`'s task to the server of `ep`, which this thread has claimed
/// (its `ipc_recv` receives from `from`), with the checked request `header` at `ptr` in the
/// caller's memory `caller_mem`.
pub fn serve<S: System>(ctl: &Ctl<S>, caller_mem: &Memory<S>, ep: &Endpoint<S>, from: TaskId, ptr: u32, header: Header) -> Outcome {
    ep.count_call();
    let caller = ctl.id;
    // SAFETY: the claim makes the server's memory ours; the caller's is written only by this
    // import now (module doc).
    let copied = unsafe { with_two(caller_mem, &ep.memory, |src, dst| deliver(src, ptr, header, dst, ep.buffer, caller)) };
    steps::step::<S>(2);
    let result = match copied {
        // Cannot happen (both buffers were checked and memories do not shrink).
        Err(e) => Err(e),
        Ok(()) => {
            let mut slots = [u64::from(caller as u32)];
            // SAFETY: the handler stack belongs to the endpoint, and the claim makes it ours
            // until the release below; its limit leaves the kernel's stack margin. The claim also
            // stands in for the runtime's per-instance check, which `call_raw_on` skips: the
            // server's own thread (inside `_start`) stays blocked in `ipc_recv` and no other
            // caller runs the handler until the release, so nothing else runs the server's code.
            let ran = as_owner(&ep.ctl, || unsafe { ep.handle.call_raw_on(&mut slots, ep.call_stack()) });
            steps::step::<S>(3);
            match ran {
                Err(trap) => {
                    // A trap (or a kill that cancelled the handler) ends the server, and so does
                    // a handler abandoned because this caller was killed and it did not return
                    // within its grace (its state was left mid-handler).
                    let why = if trap.cause == Some(S::ABANDONED) {
                        End::Abandoned { caller }
                    } else {
                        End::Trapped(trap)
                    };
                    let threads = table::lock::<S>().mark_ending(ep.id, why);
                    rouse::<S>(threads);
                    Err(Error::PeerDied)
                }
                Ok(()) => match slots[0] as u32 as i32 {
                    0 if ep.is_dead() => Err(Error::PeerDied),
                    // The server's answer: a malformed reply is the server's fault, and an error
                    // only the kernel may give is not passed on as if the kernel had said it.
                    // SAFETY: as for the request (the claim is still held).
                    0 => unsafe {
                        with_two(&ep.memory, caller_mem, |src, dst| match check_reply(src, ep.buffer) {
                            Ok(Reply::Message(h)) => deliver(src, ep.buffer, h, dst, ptr, ep.id).map_err(|_| Error::BadReply),
                            Ok(Reply::Error(e)) => Err(Error::from_server(e.code())),
                            Err(_) => Err(Error::BadReply),
                        })
                    },
                    c => Err(Error::from_server(c)),
                },
            }
        }
    };
    steps::step::<S>(4);
    match ep.release(from) {
        // The server ended after the reply was complete: the call still succeeded.
        Ok(()) | Err(Contended::Dead) => {}
        Err(Contended::Pending) => end_serving(&mut table::lock::<S>(), ep),
    }
    if ctl.killed() {
        return Err(Cancelled);
    }
    let status = code(result.map(|()| 0));
    steps::step::<S>(5);
    Ok(status)
}

/// Under the table lock, before a switch-path step that needs `server`'s `ipc_recv` or its wait
/// slot while a direct call may be running its handler: a READY server is closed (the step may
/// deliver to it), and a SERVING one has its `ipc_recv` withdrawn until the direct call ends
/// (callers arriving meanwhile queue; the releasing caller puts it back: [`end_serving`]).
pub fn suspend<S: System>(t: &mut Table<S>, server: TaskId) {
    let Some(task) = t.tasks.get_mut(server) else { return };
    let Some(ep) = task.endpoint.as_ref() else { return };
    if ep.close() {
        task.serving_from = t.rdv.withdraw_recv(server);
    }
}

/// Under the table lock, at the end of a direct call whose release found it PENDING: the
/// server's own thread receives again (from whom it received before) and gets a caller that
/// queued meanwhile at once; with nobody queued it is READY again.
pub fn end_serving<S: System>(t: &mut Table<S>, ep: &Endpoint<S>) {
    ep.unpend();
    let Some(task) = t.tasks.get_mut(ep.id) else { return };
    let Some(from) = task.serving_from.take() else { return };
    if task.ctl.killed() {
        return;
    }
    // A blocking call the handler made used the task's wait slot on the caller's thread.
    task.slot = None;
    task.rdv_thread = task.thread;
    let thread = task.thread;
    if notify::pending(t, ep.id, from) {
        // Notifications came during the call: they are what the receive gets.
        let result = notify::take(t, ep.id, t.tasks.get(ep.id).map_or(0, |task| task.recv_ptr));
        if let Some(task) = t.tasks.get_mut(ep.id) {
            task.slot = result;
        }
        S::wake(thread);
        return;
    }
    let from_alive = from == 0 || from == KERNEL_TASK || t.alive(from);
    match t.rdv.recv(ep.id, from, from_alive) {
        Ok(effects) => {
            if effects.as_slice() == [Effect::Block] {
                ep.open(from);
            }
            apply(t, effects.as_slice());
        }
        Err(e) => {
            if let Some(task) = t.tasks.get_mut(ep.id) {
                task.slot = Some(Err(e));
            }
            S::wake(thread);
        }
    }
}

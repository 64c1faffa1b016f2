//! Notifications: bits a task receives without anybody waiting for an answer — NOTIFY from
//! another task, its own TIMER expiring, an interrupt of its device. Pending bits are kept per
//! task and delivered, all at once, as a message from task 1 (kind [`NOTIFICATION`], payload
//! `u32` bits) the next time the task waits in `ipc_recv` from anyone or from task 1: at once if
//! it waits there now, before any queued call otherwise (`docs/abi.md`, "Notifications").
//!
//! Everything here runs under the task table's lock, on a thread (never in an interrupt
//! handler): a system turns its interrupts and clock ticks into calls of [`post`] and [`tick`]
//! from a thread of its own.
use core::sync::atomic::Ordering;

use hayabusa_abi::{Error, HEADER_SIZE, Header};
use hayabusa_ipc::rendezvous::Wait;
use hayabusa_ipc::{KERNEL_TASK, TaskId};

use crate::memory::with_bytes;
use crate::system::System;
use crate::table::{self, Table};

/// Kind of the message that delivers notifications (sender: task 1).
pub const NOTIFICATION: u32 = hayabusa_abi::kernel::NOTIFICATION;
/// The bit a task's TIMER sets when it expires.
pub const TIMER_BIT: u32 = hayabusa_abi::kernel::TIMER_BIT;
/// The bit an interrupt of a task's device sets.
pub const IRQ_BIT: u32 = hayabusa_abi::kernel::IRQ_BIT;

/// Whether an `ipc_recv` from `from` takes notifications.
fn takes_notes(from: TaskId) -> bool {
    from == 0 || from == KERNEL_TASK
}

/// Under the table lock: ORs `bits` into task `dst`'s pending notifications and delivers them
/// now if its thread waits in `ipc_recv` for them. A direct call running its handler meanwhile
/// delivers them when it ends (`direct::end_serving` calls [`take`]).
pub fn post<S: System>(t: &mut Table<S>, dst: TaskId, bits: u32) {
    let Some(task) = t.tasks.get_mut(dst) else { return };
    if task.ctl.killed() {
        return;
    }
    task.notes |= bits;
    match t.rdv.wait_of(dst) {
        Some(Wait::Recv { from }) if takes_notes(from) => {}
        _ => return,
    }
    if let Some(ep) = task.endpoint.as_ref()
        && ep.close()
    {
        // A direct call runs the handler: its release puts the receive back, and finds these.
        task.serving_from = t.rdv.withdraw_recv(dst);
        return;
    }
    t.rdv.withdraw_recv(dst);
    let ptr = task.recv_ptr;
    let result = take(t, dst, ptr).unwrap_or(Err(Error::BadPointer));
    if let Some(task) = t.tasks.get_mut(dst) {
        task.slot = Some(result);
        S::wake(task.rdv_thread);
    }
}

/// Under the table lock, for task `id` about to wait in `ipc_recv(from)` with its buffer at
/// `ptr` (checked): if notifications are pending and the receive takes them, writes them there
/// as the received message and clears them; returns the receive's result (task 1).
pub fn take<S: System>(t: &mut Table<S>, id: TaskId, ptr: u32) -> Option<Result<i32, Error>> {
    let task = t.tasks.get_mut(id)?;
    if task.notes == 0 {
        return None;
    }
    let bits = core::mem::take(&mut task.notes);
    let header = Header { kind: NOTIFICATION, len: 4, sender: KERNEL_TASK, flags: 0 };
    let Ok(mem) = task.memory() else { return Some(Err(Error::BadPointer)) };
    // SAFETY: the task's own memory, while its thread is stopped in (or entering) `ipc_recv`,
    // whose buffer check guaranteed room for a whole message at `ptr`.
    unsafe {
        with_bytes(mem, |bytes| {
            let out = &mut bytes[ptr as usize..][..HEADER_SIZE + 4];
            out[..HEADER_SIZE].copy_from_slice(&header.encode());
            out[HEADER_SIZE..].copy_from_slice(&bits.to_le_bytes());
        })
    };
    Some(Ok(KERNEL_TASK))
}

/// Whether an `ipc_recv` from `from` by task `id` would get notifications now.
pub fn pending<S: System>(t: &Table<S>, id: TaskId, from: TaskId) -> bool {
    takes_notes(from) && t.tasks.get(id).is_some_and(|task| task.notes != 0)
}

/// Arms (or, with `ns` 0, disarms) task `id`'s timer: [`TIMER_BIT`] in `ns` nanoseconds.
pub fn set_timer<S: System>(t: &mut Table<S>, id: TaskId, ns: u64) {
    if let Some(task) = t.tasks.get_mut(id) {
        task.timer = (ns != 0).then(|| S::uptime_ns().saturating_add(ns));
        if let Some(at) = task.timer {
            S::state().next_timer.fetch_min(at, Ordering::AcqRel);
        }
    }
}

/// Whether a TIMER may be due at `now` (cheap, lock-free: for a system's tick, even in an
/// interrupt handler, to decide whether to run [`tick`]). A disarmed or dead task's timer may
/// make it say yes once; `tick` then finds nothing and recomputes.
pub fn due<S: System>(now: u64) -> bool {
    S::state().next_timer.load(Ordering::Acquire) <= now
}

/// Called by the system from a thread, at its ticks (about 10 ms) when [`due`] says so: fires
/// the timers that expired.
pub fn tick<S: System>() {
    let now = S::uptime_ns();
    let mut table = table::lock::<S>();
    let t = &mut *table;
    let mut due = [0; 16];
    loop {
        let mut n = 0;
        for (id, task) in t.tasks.iter() {
            if task.timer.is_some_and(|at| at <= now) && n < due.len() {
                due[n] = id;
                n += 1;
            }
        }
        if n == 0 {
            // Under the table lock, which every `set_timer` holds: no arming is lost.
            let next = t.tasks.iter().filter_map(|(_, task)| task.timer).min().unwrap_or(u64::MAX);
            S::state().next_timer.store(next, Ordering::Release);
            return;
        }
        for &id in &due[..n] {
            if let Some(task) = t.tasks.get_mut(id) {
                task.timer = None;
            }
            post(t, id, TIMER_BIT);
        }
    }
}

/// Posts `bits` to task `id` from the system (a device interrupt), taking the table lock.
pub fn post_from_system<S: System>(id: TaskId, bits: u32) {
    post(&mut table::lock::<S>(), id, bits);
}

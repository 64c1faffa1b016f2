//! A task's links: the servers it has been allowed to call on the direct path, found in O(1)
//! from the task id. Permission is decided once per (caller, server instance), on the slow path
//! under the table lock, and kept here until the registry changes: every REGISTER and every
//! freed name (a server ending or restarting) bumps the state's generation, which makes all
//! links stale at once. A server instance's id is never reused, so a link can only ever name
//! that instance.
//!
//! The links belong to the task's code and take no lock ([`LinkCell`]): only the task's own
//! `ipc_call` uses them, and a task's code runs in one place at a time. A stale link keeps its
//! endpoint (a dead server's memory and handler stack) until the task's next `ipc_call` or its
//! end, which drop it.
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::Ordering;

use hayabusa_ipc::TaskId;

use crate::endpoint::Endpoint;
use crate::system::System;

/// Direct-mapped slots per task (by task id): a client talks to a few servers.
const SLOTS: usize = 8;

/// The registry generation now (read under the table lock when filling a link).
pub fn generation<S: System>() -> u64 {
    S::state().generation.load(Ordering::Acquire)
}

/// The registry changed: every link made before is stale. Call under the table lock.
pub fn registry_changed<S: System>() {
    S::state().generation.fetch_add(1, Ordering::AcqRel);
}

pub struct Links<S: System> {
    generation: u64,
    slots: [Option<(TaskId, Arc<Endpoint<S>>)>; SLOTS],
}

impl<S: System> Links<S> {
    pub const fn new() -> Links<S> {
        Links { generation: u64::MAX, slots: [const { None }; SLOTS] }
    }

    /// The endpoint of `dst`, if this task may call it directly as of the current generation.
    /// Links of an older generation are dropped here.
    #[inline]
    pub fn get(&mut self, dst: TaskId) -> Option<&Endpoint<S>> {
        if self.generation != generation::<S>() {
            self.drop_stale();
            return None;
        }
        match &self.slots[dst as usize % SLOTS] {
            Some((id, endpoint)) if *id == dst => Some(endpoint),
            _ => None,
        }
    }

    /// Records that this task may call `dst` as of registry generation `generation` (read under
    /// the table lock, with the permission check).
    pub fn insert(&mut self, generation: u64, dst: TaskId, endpoint: Arc<Endpoint<S>>) {
        if generation != self.generation {
            self.clear();
            self.generation = generation;
        }
        self.slots[dst as usize % SLOTS] = Some((dst, endpoint));
    }

    #[cold]
    #[inline(never)]
    fn drop_stale(&mut self) {
        self.clear();
    }

    pub fn clear(&mut self) {
        self.slots = [const { None }; SLOTS];
    }
}

/// A task's [`Links`], used without a lock by the task's own code.
///
/// The one rule: the links are reached only from the task's own `ipc_call` — on whichever thread
/// runs the task's code: its own thread, or a caller's thread running its handler under the
/// claim of its endpoint — or once none of its code can run any more (its end). A task's code
/// runs in one place at a time (the endpoint's claim excludes its own thread, which waits in
/// `ipc_recv` meanwhile, and every other caller), and while it is stopped in `ipc_call` no other
/// code of the task runs, so one reference at a time exists.
pub struct LinkCell<S: System>(UnsafeCell<Links<S>>);

// SAFETY: shared between the threads that may run the task's code, which use it one at a time
// (the rule above); `Links` itself is `Send` (its endpoints are `Send + Sync`).
unsafe impl<S: System> Sync for LinkCell<S> {}

impl<S: System> LinkCell<S> {
    pub const fn new() -> LinkCell<S> {
        LinkCell(UnsafeCell::new(Links::new()))
    }

    /// The links, for the task's own `ipc_call`.
    ///
    /// # Safety
    /// Only from the task's own `ipc_call` (or once none of its code can run, see [`LinkCell`]),
    /// and the reference must not outlive that call nor be held beside another one.
    #[inline]
    #[allow(clippy::mut_from_ref, reason = "exclusive by the rule of `LinkCell`, not by the borrow checker")]
    pub unsafe fn get(&self) -> &mut Links<S> {
        // SAFETY: exclusive by the caller's guarantee (the rule above).
        unsafe { &mut *self.0.get() }
    }
}

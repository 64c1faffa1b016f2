//! A task's links: the servers it has been allowed to call on the direct path, found in O(1)
//! from the task id. Permission is decided once per (caller, server instance), on the slow path
//! under the table lock, and kept here until the registry changes: every REGISTER and every
//! freed name (a server ending or restarting) bumps the state's generation, which makes all
//! links stale at once. A server instance's id is never reused, so a link can only ever name
//! that instance.
use alloc::sync::Arc;
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
    pub fn get(&self, dst: TaskId) -> Option<&Endpoint<S>> {
        if self.generation != generation::<S>() {
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

    /// Drops the link to `dst` (it ended: its resources go as soon as nobody uses them).
    pub fn forget(&mut self, dst: TaskId) {
        let slot = &mut self.slots[dst as usize % SLOTS];
        if slot.as_ref().is_some_and(|(id, _)| *id == dst) {
            *slot = None;
        }
    }

    pub fn clear(&mut self) {
        self.slots = [const { None }; SLOTS];
    }
}

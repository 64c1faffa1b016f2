//! The task table: every task as the table holds it, and what a task's imports reach without the
//! table ([`Ctl`]). One lock (the system's) guards the table: tasks, their permissions (the
//! manifest entry), the service registry and the switch-path rendezvous.
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use hayabusa_abi::Error;
use hayabusa_ipc::TaskId;
use hayabusa_ipc::registry::Registry;
use hayabusa_ipc::rendezvous::Rendezvous;
use hayabusa_ipc::taskmap::TaskMap;
use hayabusa_manifest::Task as Entry;
use hayabusa_runtime::Trap;

use crate::endpoint::Endpoint;
use crate::links::{self, Links};
use crate::system::{System, ThreadId};
use crate::{Instance, Memory, Store};

/// What a task's imports reach without the table: its id and kill flag, shared with its thread,
/// its linear memory, and its links to the servers it calls directly.
pub struct Ctl<S: System> {
    pub id: TaskId,
    /// Set when the task is to end; entry records of its code point here ([`System::set_owner`]).
    pub killed: AtomicBool,
    /// Its memory, once instantiated.
    pub memory: spin::Once<Arc<Memory<S>>>,
    /// Locked by the task's own `ipc_call` (one at a time), and by the end of a server to drop
    /// links to it.
    pub links: spin::Mutex<Links<S>>,
}

impl<S: System> Ctl<S> {
    pub fn new(id: TaskId) -> Ctl<S> {
        Ctl { id, killed: AtomicBool::new(false), memory: spin::Once::new(), links: spin::Mutex::new(Links::new()) }
    }

    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// The owner value for [`System::set_owner`].
    fn owner(&self) -> usize {
        &self.killed as *const AtomicBool as usize
    }
}

/// Runs `f` (calls into `ctl`'s task's code) with `ctl` as the owner of the entry records.
pub fn as_owner<S: System, R>(ctl: &Ctl<S>, f: impl FnOnce() -> R) -> R {
    let previous = S::set_owner(ctl.owner());
    let result = f();
    S::set_owner(previous);
    result
}

/// Why a task ended.
#[derive(Clone, Debug)]
pub enum End {
    /// `_start` returned, or the task sent EXIT with this code.
    Exited(i32),
    Trapped(Trap),
    Killed,
    /// Its direct-path handler, run by `caller`, was abandoned: the caller was killed and the
    /// handler did not return within the system's grace period.
    Abandoned { caller: TaskId },
    /// It could not be instantiated or has no usable `_start`.
    LoadFailed(String),
}

/// One task, as the table holds it.
pub struct Task<S: System> {
    pub ctl: Arc<Ctl<S>>,
    pub name: String,
    pub entry: Entry<'static>,
    pub args: String,
    pub thread: ThreadId,
    pub code_bytes: usize,
    pub compile_ns: u64,
    /// Set by the task's thread once instantiated. The table owns them; calls clone them.
    pub store: Option<Store<S>>,
    pub instance: Option<Instance<S>>,
    pub memory: Option<Arc<Memory<S>>>,
    /// A server that exports the direct path and is not forced onto the switch path.
    pub endpoint: Option<Arc<Endpoint<S>>>,
    /// The services it may reach (the manifest's `reach`, split once).
    pub reach: Vec<&'static str>,
    /// The live tasks providing those services, as of registry generation `.0` (a cache for
    /// the permission check of every slow-path call).
    pub reachable: Option<(u64, Vec<TaskId>)>,
    /// Buffer of the task's pending `ipc_call` (switch path) and `ipc_recv`.
    pub call_ptr: u32,
    pub recv_ptr: u32,
    /// The result of the rendezvous wait made on the task's behalf (by `rdv_thread`).
    pub slot: Option<Result<i32, Error>>,
    pub rdv_thread: ThreadId,
    /// While a direct call runs the task's handler and its own thread's `ipc_recv` had to be
    /// withdrawn from the rendezvous (`direct::suspend`): whom it received from (0: anyone).
    pub serving_from: Option<TaskId>,
    /// Why it is ending, once decided (by EXIT, a kill, or a trap in its handler).
    pub end: Option<End>,
    /// Round trips served on the switch path, for `services` (the direct path counts in the
    /// endpoint).
    pub switch_calls: u64,
    /// Pending notification bits, and when its TIMER expires (ns since start), if armed
    /// ([`crate::notify`]).
    pub notes: u32,
    pub timer: Option<u64>,
}

impl<S: System> Task<S> {
    /// A task of manifest entry `entry` with argument string `args`, not yet on a thread, with
    /// nothing instantiated (a compiled module's size and compile time, or 0s for a native task).
    pub fn new(ctl: Arc<Ctl<S>>, entry: Entry<'static>, args: String, code_bytes: usize, compile_ns: u64) -> Task<S> {
        Task {
            ctl,
            name: String::from(entry.name),
            entry,
            args,
            thread: 0,
            code_bytes,
            compile_ns,
            store: None,
            instance: None,
            memory: None,
            endpoint: None,
            reach: entry.reach.iter().collect(),
            reachable: None,
            call_ptr: 0,
            recv_ptr: 0,
            slot: None,
            rdv_thread: 0,
            serving_from: None,
            end: None,
            switch_calls: 0,
            notes: 0,
            timer: None,
        }
    }

    pub fn memory(&self) -> Result<&Arc<Memory<S>>, Error> {
        self.memory.as_ref().ok_or(Error::BadPointer)
    }
}

pub struct Table<S: System> {
    pub tasks: TaskMap<Task<S>>,
    /// Every change bumps the links' generation (invalidates links and `Task::reachable`).
    pub registry: Registry,
    pub rdv: Rendezvous,
    pub next_id: TaskId,
    /// Tasks out of `tasks` whose instance, memory and code their thread is still dropping: a
    /// kill waits for them too, so that what the task held is free when it says "killed".
    pub releasing: Vec<TaskId>,
    /// Native tasks' queued calls and their waiting callers ([`crate::native`]).
    pub natives: crate::native::Natives<S>,
}

impl<S: System> Table<S> {
    pub const fn new() -> Table<S> {
        Table { tasks: TaskMap::new(), registry: Registry::new(), rdv: Rendezvous::new(), next_id: 2, releasing: Vec::new(), natives: crate::native::Natives::new() }
    }

    /// Whether task `caller` may call task `dst`: `dst` is the live provider of a service in
    /// `caller`'s `reach` (cached per caller until the registry changes).
    pub fn may_call(&mut self, caller: TaskId, dst: TaskId) -> bool {
        let generation = links::generation::<S>();
        let Some(task) = self.tasks.get_mut(caller) else { return false };
        let stale = task.reachable.as_ref().is_none_or(|(g, _)| *g != generation);
        if stale {
            let ids = self.registry.iter().filter(|(name, _)| task.reach.contains(name)).map(|(_, id)| id).collect();
            task.reachable = Some((generation, ids));
        }
        task.reachable.as_ref().is_some_and(|(_, ids)| ids.contains(&dst))
    }

    pub fn alive(&self, id: TaskId) -> bool {
        self.tasks.get(id).is_some_and(|t| !t.ctl.killed())
    }

    /// Marks task `id` as ending for `why` (the first reason given wins) and frees its service
    /// names at once (a restarted server may register them; lookups say NOT_FOUND meanwhile).
    /// Returns the threads that run or wait for its code, to be roused ([`rouse`]) once the
    /// table is unlocked so that its code is abandoned.
    pub fn mark_ending(&mut self, id: TaskId, why: End) -> [ThreadId; 3] {
        self.registry.task_died(id);
        links::registry_changed::<S>();
        let Some(t) = self.tasks.get_mut(id) else { return [0; 3] };
        if t.end.is_none() {
            t.end = Some(why);
        }
        t.ctl.killed.store(true, Ordering::Relaxed);
        let serving = t.endpoint.as_ref().and_then(|ep| ep.serving_thread()).unwrap_or(0);
        if let Some(ep) = &t.endpoint {
            ep.kill();
        }
        [t.thread, t.rdv_thread, serving]
    }
}

/// Wakes `threads` (0s skipped).
pub fn wake_all<S: System>(threads: impl IntoIterator<Item = ThreadId>) {
    for id in threads {
        if id != 0 {
            S::wake(id);
        }
    }
}

/// Wakes `threads` and makes sure code they run for an ending task is abandoned soon
/// ([`System::kick`]).
pub fn rouse<S: System>(threads: impl IntoIterator<Item = ThreadId>) {
    for id in threads {
        if id != 0 {
            S::wake(id);
            S::kick(id);
        }
    }
}

/// The task table of system `S`, locked.
pub fn lock<S: System>() -> crate::Guard<'static, S, Table<S>> {
    S::state().table.lock()
}

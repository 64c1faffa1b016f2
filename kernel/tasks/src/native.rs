//! Native tasks: a manifest task that the system runs as Rust code instead of its module (the
//! hosted runner's `tcpip` on host sockets; the kernel has none). Such a task is in the table
//! like any other — id, name, manifest entry, registered service, `ps`, `kill` — but has no
//! instance: a call to it is copied out of the caller's memory into a [`Call`], queued for the
//! task's thread ([`NativeTask::recv`]), and answered with [`Call::reply`] from any thread, now
//! or later (a deferred reply, as a switch-path server gives by receiving before it replies).
//! The caller waits as on the switch path; a call dropped unanswered, or still queued when the
//! native task ends, fails with `PEER_DIED`, as a call to a Wasm server that died.
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::marker::PhantomData;

use hayabusa_abi::{Error, HEADER_SIZE, Header, MAX_PAYLOAD};
use hayabusa_ipc::TaskId;
use hayabusa_manifest::Task as Entry;

use crate::imports::{self, Cancelled, Outcome};
use crate::lifecycle::{self, MAX_TASKS, StartError, TASK_STACK};
use crate::memory::with_bytes;
use crate::system::System;
use crate::table::{self, Ctl, End, Table, Task};
use crate::{Guard, Memory, links};

/// The body of a native program, run on its task's thread: it serves the calls
/// [`NativeTask::recv`] hands it and returns once that gives `None` (the task was killed).
pub type NativeBody<S> = fn(NativeTask<S>);

/// The table's record of native tasks: their queued calls, and who waits for which answer.
pub struct Natives<S: System> {
    inboxes: BTreeMap<TaskId, VecDeque<Call<S>>>,
    /// Caller → (native task, token of the call it waits on).
    waits: BTreeMap<TaskId, (TaskId, u64)>,
    next_token: u64,
}

impl<S: System> Natives<S> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Natives<S> {
        Natives { inboxes: BTreeMap::new(), waits: BTreeMap::new(), next_token: 1 }
    }

    /// Whether task `id` is native.
    pub fn serves(&self, id: TaskId) -> bool {
        self.inboxes.contains_key(&id)
    }
}

/// A call to a native task, to be answered once ([`Call::reply`], [`Call::fail`]); dropping it
/// unanswered fails the caller's call with `PEER_DIED`.
pub struct Call<S: System> {
    caller: TaskId,
    server: TaskId,
    token: u64,
    kind: u32,
    payload: Vec<u8>,
    answered: bool,
    _system: PhantomData<fn() -> S>,
}

impl<S: System> Call<S> {
    pub fn caller(&self) -> TaskId {
        self.caller
    }

    pub fn kind(&self) -> u32 {
        self.kind
    }

    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Answers with a message of `kind` carrying `payload` (at most `MAX_PAYLOAD` bytes, else the
    /// caller gets `BAD_REPLY`). False if the caller no longer waits for it (killed).
    pub fn reply(mut self, kind: u32, payload: &[u8]) -> bool {
        self.answer(Ok((kind, payload)))
    }

    /// Answers with error `e` (a kernel-only error reaches the caller as `BAD_REPLY`, as from any
    /// server). False if the caller no longer waits for it.
    pub fn fail(mut self, e: Error) -> bool {
        self.answer(Err(Error::from_server(e.code())))
    }

    fn answer(&mut self, result: Result<(u32, &[u8]), Error>) -> bool {
        self.answered = true;
        let mut table = table::lock::<S>();
        let t = &mut *table;
        if t.natives.waits.get(&self.caller) != Some(&(self.server, self.token)) {
            return false;
        }
        t.natives.waits.remove(&self.caller);
        let Some(caller) = t.tasks.get_mut(self.caller) else { return false };
        let result = match (result, caller.memory.clone()) {
            (Ok((_, payload)), _) if payload.len() > MAX_PAYLOAD => Err(Error::BadReply),
            (Ok((kind, payload)), Some(mem)) => {
                let header = Header { kind, len: payload.len() as u32, sender: self.server, flags: 0 };
                let at = caller.call_ptr as usize;
                // SAFETY: the caller waits for this answer (its wait record matched, under the
                // table lock): its code is stopped; its buffer was checked for a whole message.
                unsafe {
                    with_bytes(&mem, |bytes| {
                        let out = &mut bytes[at..][..HEADER_SIZE + payload.len()];
                        out[..HEADER_SIZE].copy_from_slice(&header.encode());
                        out[HEADER_SIZE..].copy_from_slice(payload);
                    })
                };
                Ok(0)
            }
            (Ok(_), None) => Err(Error::BadPointer),
            (Err(e), _) => Err(e),
        };
        caller.slot = Some(result);
        S::wake(caller.rdv_thread);
        true
    }
}

impl<S: System> Drop for Call<S> {
    fn drop(&mut self) {
        if !self.answered {
            self.answered = true;
            let mut table = table::lock::<S>();
            fail_waiter(&mut table, self.caller, Some((self.server, self.token)), Error::PeerDied);
        }
    }
}

/// Ends `caller`'s wait (the one for `on`, or any) with `e`.
fn fail_waiter<S: System>(t: &mut Table<S>, caller: TaskId, on: Option<(TaskId, u64)>, e: Error) {
    let Some(&wait) = t.natives.waits.get(&caller) else { return };
    if on.is_some_and(|on| on != wait) {
        return;
    }
    t.natives.waits.remove(&caller);
    if let Some(c) = t.tasks.get_mut(caller) {
        c.slot = Some(Err(e));
        S::wake(c.rdv_thread);
    }
}

/// What the native program's thread sees of its task.
pub struct NativeTask<S: System> {
    ctl: Arc<Ctl<S>>,
}

impl<S: System> NativeTask<S> {
    pub fn id(&self) -> TaskId {
        self.ctl.id
    }

    pub fn killed(&self) -> bool {
        self.ctl.killed()
    }

    /// Registers the service `name`, as REGISTER does (`DENIED` unless the manifest entry
    /// `provides` it, `BUSY` if a live task holds it).
    pub fn register(&self, name: &str) -> Result<(), Error> {
        let mut table = table::lock::<S>();
        let t = &mut *table;
        let provides = t.tasks.get(self.ctl.id).and_then(|task| task.entry.provides);
        t.registry.register(self.ctl.id, name, provides == Some(name))?;
        links::registry_changed::<S>();
        Ok(())
    }

    /// Whether task `id` is alive (a service drops what it kept for tasks that ended).
    pub fn alive(&self, id: TaskId) -> bool {
        table::lock::<S>().alive(id)
    }

    /// The next call, waiting for one; `None` once the task is killed.
    pub fn recv(&self) -> Option<Call<S>> {
        loop {
            {
                let mut table = table::lock::<S>();
                if self.ctl.killed() {
                    return None;
                }
                if let Some(call) = table.natives.inboxes.get_mut(&self.ctl.id).and_then(VecDeque::pop_front) {
                    return Some(call);
                }
            }
            S::block();
        }
    }
}

/// Starts the native task of manifest entry `entry` running `body`.
pub fn start<S: System>(entry: Entry<'static>, args: Option<&str>, body: NativeBody<S>) -> Result<TaskId, StartError> {
    let ctl = {
        let mut table = table::lock::<S>();
        if let Some(service) = entry.provides
            && table.registry.lookup(service).is_ok()
        {
            return Err(StartError::ServiceRunning(service));
        }
        if table.tasks.len() >= MAX_TASKS {
            return Err(StartError::TooManyTasks);
        }
        let id = table.next_id;
        table.next_id += 1;
        let ctl = Arc::new(Ctl::new(id));
        // A native task receives no notifications (it has no `ipc_recv`): they stay pending.
        table.tasks.insert(id, Task::new(ctl.clone(), entry, String::from(args.unwrap_or(entry.args)), 0, 0));
        table.natives.inboxes.insert(id, VecDeque::new());
        ctl
    };
    let id = ctl.id;
    let task_ctl = ctl.clone();
    let run = move || {
        while table::lock::<S>().tasks.get(task_ctl.id).is_some_and(|t| t.thread == 0) {
            S::yield_now();
        }
        if !task_ctl.killed() {
            body(NativeTask { ctl: task_ctl.clone() });
        }
        let end = if task_ctl.killed() { End::Killed } else { End::Exited(0) };
        lifecycle::finish(&task_ctl, end);
    };
    let spawned = S::spawn(entry.name, entry.stack.unwrap_or(TASK_STACK), Box::new(run));
    let mut table = table::lock::<S>();
    match spawned {
        Some(thread) => {
            let task = table.tasks.get_mut(id).expect("only its own thread removes a task");
            task.thread = thread;
            task.rdv_thread = thread;
            Ok(id)
        }
        None => {
            table.tasks.remove(id);
            table.natives.inboxes.remove(&id);
            Err(StartError::NoThread)
        }
    }
}

/// `ipc_call` from `ctl`'s task to native task `dst` (permission checked): the request is copied
/// out of the caller's memory and queued, and the caller waits for the answer.
pub fn call<S: System>(mut table: Guard<'_, S, Table<S>>, ctl: &Ctl<S>, mem: &Memory<S>, dst: TaskId, ptr: u32, header: Header) -> Outcome {
    let t = &mut *table;
    let at = ptr as usize + HEADER_SIZE;
    // SAFETY: the task's own memory, while its code is stopped in this import; the request was
    // checked (`len` within the buffer).
    let payload = unsafe { with_bytes(mem, |bytes| bytes[at..][..header.len as usize].to_vec()) };
    let token = t.natives.next_token;
    t.natives.next_token += 1;
    let caller = t.tasks.get_mut(ctl.id).ok_or(Cancelled)?;
    caller.slot = None;
    caller.rdv_thread = S::current();
    caller.call_ptr = ptr;
    t.natives.waits.insert(ctl.id, (dst, token));
    let call = Call { caller: ctl.id, server: dst, token, kind: header.kind, payload, answered: false, _system: PhantomData };
    t.natives.inboxes.get_mut(&dst).expect("a native task").push_back(call);
    if let Some(server) = t.tasks.get_mut(dst) {
        // `services` counts them with the switch path's: the same kind of round trip.
        server.switch_calls += 1;
        S::wake(server.thread);
    }
    drop(table);
    imports::wait(ctl).map(imports::code)
}

/// Task `id` is leaving the table (under its lock): its own wait ends, and if it is native, the
/// calls queued for it and every caller waiting on it fail with `PEER_DIED`.
pub fn task_ended<S: System>(t: &mut Table<S>, id: TaskId) {
    t.natives.waits.remove(&id);
    let Some(inbox) = t.natives.inboxes.remove(&id) else { return };
    for mut call in inbox {
        // Its caller is failed below, under this lock (its own drop would take the lock again).
        call.answered = true;
        drop(call);
    }
    let waiting: Vec<TaskId> = t.natives.waits.iter().filter(|(_, (server, _))| *server == id).map(|(caller, _)| *caller).collect();
    for caller in waiting {
        fail_waiter(t, caller, None, Error::PeerDied);
    }
}

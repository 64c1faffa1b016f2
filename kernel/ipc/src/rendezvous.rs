//! The synchronous rendezvous of the switch path, as a state machine over task ids: who is
//! blocked on whom, in what order callers are served, and what every event wakes. It moves no
//! bytes and touches no thread; the task layer copies messages and blocks or wakes threads as
//! the returned effects say.
//!
//! A caller is *queued* at a server until the server receives it, then *awaits the reply*. A
//! server is served callers one at a time in arrival order. A task that dies wakes everyone who
//! waits for it: its callers get `PEER_DIED`, a server waiting to receive from it specifically
//! gets `NO_SUCH_TASK`.
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use hayabusa_abi::Error;

use super::TaskId;
use super::taskmap::TaskMap;

/// What a task is blocked in, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// In `ipc_call`, not yet received by `server`.
    Queued { server: TaskId },
    /// In `ipc_call`, received by `server`, waiting for its reply.
    Reply { server: TaskId },
    /// In `ipc_recv`, waiting for a caller (`from` 0: anyone).
    Recv { from: TaskId },
}

/// What the task layer must do after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Copy `caller`'s request into `server`'s receive buffer and wake `server`, whose
    /// `ipc_recv` returns `caller`.
    Deliver { caller: TaskId, server: TaskId },
    /// Block the task that made the call.
    Block,
    /// Wake `task` with this result for its blocked call.
    Wake { task: TaskId, result: Result<(), Error> },
}

/// The effects of one call, receive or reply: at most two, kept inline (no allocation on the
/// IPC path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effects {
    items: [Effect; 2],
    len: usize,
}

impl Effects {
    fn one(effect: Effect) -> Effects {
        Effects { items: [effect, Effect::Block], len: 1 }
    }

    fn two(first: Effect, second: Effect) -> Effects {
        Effects { items: [first, second], len: 2 }
    }

    pub fn as_slice(&self) -> &[Effect] {
        &self.items[..self.len]
    }
}

impl PartialEq<Vec<Effect>> for Effects {
    fn eq(&self, other: &Vec<Effect>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

#[derive(Default)]
pub struct Rendezvous {
    waits: TaskMap<Wait>,
    queues: TaskMap<VecDeque<TaskId>>,
}

impl Rendezvous {
    pub const fn new() -> Self {
        Self { waits: TaskMap::new(), queues: TaskMap::new() }
    }

    /// What `task` is blocked in.
    pub fn wait_of(&self, task: TaskId) -> Option<Wait> {
        self.waits.get(task).copied()
    }

    /// `caller` calls `server` (both alive, permission already checked). Either the server is
    /// receiving and gets the request now, or the caller queues; the caller blocks either way.
    pub fn call(&mut self, caller: TaskId, server: TaskId) -> Result<Effects, Error> {
        if caller == server {
            return Err(Error::CallSelf);
        }
        match self.waits.get(server) {
            Some(Wait::Recv { from }) if *from == 0 || *from == caller => {
                self.waits.remove(server);
                self.waits.insert(caller, Wait::Reply { server });
                Ok(Effects::two(Effect::Deliver { caller, server }, Effect::Block))
            }
            _ => {
                self.waits.insert(caller, Wait::Queued { server });
                self.queues.get_or_default(server).push_back(caller);
                Ok(Effects::one(Effect::Block))
            }
        }
    }

    /// `server` receives from `from` (0: anyone; `from_alive` says whether that task exists).
    /// The first queued caller that matches is delivered at once; otherwise the server blocks.
    pub fn recv(&mut self, server: TaskId, from: TaskId, from_alive: bool) -> Result<Effects, Error> {
        if from < 0 {
            return Err(Error::BadArgument);
        }
        if from > 0 && !from_alive {
            return Err(Error::NoSuchTask);
        }
        let queue = self.queues.get_or_default(server);
        if let Some(pos) = queue.iter().position(|&c| from == 0 || c == from) {
            let caller = queue.remove(pos).expect("position is in range");
            self.waits.insert(caller, Wait::Reply { server });
            return Ok(Effects::one(Effect::Deliver { caller, server }));
        }
        self.waits.insert(server, Wait::Recv { from });
        Ok(Effects::one(Effect::Block))
    }

    /// Takes back `server`'s `ipc_recv` wait, while a direct-path call runs its handler on the
    /// caller's thread: callers arriving meanwhile queue. Returns whom it was receiving from;
    /// the task layer later calls [`Rendezvous::recv`] again with it. `None` (and no change) if
    /// `server` is not receiving.
    pub fn withdraw_recv(&mut self, server: TaskId) -> Option<TaskId> {
        match self.waits.get(server) {
            Some(&Wait::Recv { from }) => {
                self.waits.remove(server);
                Some(from)
            }
            _ => None,
        }
    }

    /// `server` replies to `caller`, which must be awaiting its reply. The caller wakes with
    /// `result` (`Ok` after the task layer copied the reply, or the error of an error reply).
    pub fn reply(&mut self, server: TaskId, caller: TaskId, caller_alive: bool, result: Result<(), Error>) -> Result<Effects, Error> {
        if !caller_alive {
            return Err(Error::NoSuchTask);
        }
        match self.waits.get(caller) {
            Some(Wait::Reply { server: s }) if *s == server => {
                self.waits.remove(caller);
                Ok(Effects::one(Effect::Wake { task: caller, result }))
            }
            _ => Err(Error::NotWaiting),
        }
    }

    /// `task` ended (exit, trap or kill). Returns whom to wake, with what.
    pub fn task_died(&mut self, task: TaskId) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(Wait::Queued { server }) = self.waits.remove(task)
            && let Some(q) = self.queues.get_mut(server)
        {
            q.retain(|&c| c != task);
        }
        for caller in self.queues.remove(task).unwrap_or_default() {
            self.waits.remove(caller);
            effects.push(Effect::Wake { task: caller, result: Err(Error::PeerDied) });
        }
        let mut woken = Vec::new();
        for (t, wait) in self.waits.iter() {
            match *wait {
                Wait::Reply { server } if server == task => woken.push((t, Error::PeerDied)),
                Wait::Recv { from } if from == task => woken.push((t, Error::NoSuchTask)),
                _ => {}
            }
        }
        for (t, e) in woken {
            self.waits.remove(t);
            effects.push(Effect::Wake { task: t, result: Err(e) });
        }
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    const S: TaskId = 2;

    #[test]
    fn call_to_a_receiving_server_is_delivered_at_once() {
        let mut r = Rendezvous::new();
        assert_eq!(r.recv(S, 0, true).unwrap(), vec![Effect::Block]);
        assert_eq!(r.call(5, S).unwrap(), vec![Effect::Deliver { caller: 5, server: S }, Effect::Block]);
        assert_eq!(r.wait_of(S), None);
        assert_eq!(r.wait_of(5), Some(Wait::Reply { server: S }));
        assert_eq!(r.reply(S, 5, true, Ok(())).unwrap(), vec![Effect::Wake { task: 5, result: Ok(()) }]);
        assert_eq!(r.wait_of(5), None);
        assert_eq!(r.reply(S, 5, true, Ok(())), Err(Error::NotWaiting), "already answered");
    }

    #[test]
    fn callers_queue_in_arrival_order_and_recv_can_pick_a_sender() {
        let mut r = Rendezvous::new();
        for c in [5, 6, 7] {
            assert_eq!(r.call(c, S).unwrap(), vec![Effect::Block]);
        }
        assert_eq!(r.recv(S, 0, true).unwrap(), vec![Effect::Deliver { caller: 5, server: S }]);
        assert_eq!(r.recv(S, 7, true).unwrap(), vec![Effect::Deliver { caller: 7, server: S }]);
        assert_eq!(r.wait_of(6), Some(Wait::Queued { server: S }));
        assert_eq!(r.reply(S, 6, true, Ok(())), Err(Error::NotWaiting), "not received yet");
        assert_eq!(r.recv(S, 9, false), Err(Error::NoSuchTask));
        assert_eq!(r.recv(S, -1, true), Err(Error::BadArgument));
        assert_eq!(r.call(S, S), Err(Error::CallSelf));
    }

    #[test]
    fn a_dying_server_wakes_its_callers_with_peer_died() {
        let mut r = Rendezvous::new();
        r.call(5, S).unwrap();
        r.call(6, S).unwrap();
        r.recv(S, 0, true).unwrap(); // 5 now awaits the reply, 6 is queued
        let mut woken = r.task_died(S);
        woken.sort_by_key(|e| match e {
            Effect::Wake { task, .. } => *task,
            _ => 0,
        });
        assert_eq!(woken, vec![
            Effect::Wake { task: 5, result: Err(Error::PeerDied) },
            Effect::Wake { task: 6, result: Err(Error::PeerDied) },
        ]);
        assert_eq!((r.wait_of(5), r.wait_of(6)), (None, None));
    }

    #[test]
    fn a_dying_caller_leaves_the_queue_and_frees_a_specific_receiver() {
        let mut r = Rendezvous::new();
        r.call(5, S).unwrap();
        r.call(6, S).unwrap();
        assert_eq!(r.task_died(5), vec![]);
        assert_eq!(r.recv(S, 0, true).unwrap(), vec![Effect::Deliver { caller: 6, server: S }]);
        let mut r = Rendezvous::new();
        r.recv(S, 8, true).unwrap();
        assert_eq!(r.task_died(8), vec![Effect::Wake { task: S, result: Err(Error::NoSuchTask) }]);
        // A caller that died while its server worked on it: the reply finds nobody.
        let mut r = Rendezvous::new();
        r.call(5, S).unwrap();
        r.recv(S, 0, true).unwrap();
        r.task_died(5);
        assert_eq!(r.reply(S, 5, false, Ok(())), Err(Error::NoSuchTask));
    }

    #[test]
    fn a_withdrawn_receiver_lets_callers_queue_until_it_receives_again() {
        let mut r = Rendezvous::new();
        assert_eq!(r.withdraw_recv(S), None, "not receiving");
        r.recv(S, 0, true).unwrap();
        assert_eq!(r.withdraw_recv(S), Some(0));
        assert_eq!(r.wait_of(S), None);
        assert_eq!(r.call(6, S).unwrap(), vec![Effect::Block], "queued while the handler runs");
        assert_eq!(r.recv(S, 0, true).unwrap(), vec![Effect::Deliver { caller: 6, server: S }]);
    }

    #[test]
    fn error_replies_reach_the_caller() {
        let mut r = Rendezvous::new();
        r.call(5, S).unwrap();
        r.recv(S, 0, true).unwrap();
        assert_eq!(r.reply(S, 5, true, Err(Error::Unsupported)).unwrap(), vec![Effect::Wake { task: 5, result: Err(Error::Unsupported) }]);
    }
}

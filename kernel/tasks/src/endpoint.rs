//! A server's direct-path endpoint: its handler, message buffer, memory and handler stack, and
//! one atomic state word that a caller claims to run the handler — the only shared write on the
//! direct path.
//!
//! The word says whether the server can be called directly now (`READY`: its own thread waits
//! in `ipc_recv`, from anyone or from one task, and nobody is queued), is running a direct call
//! (`SERVING`, with the thread running it), or neither (`CLOSED`: its thread runs, or a
//! switch-path call was delivered to it) or never again (`DEAD`). The transitions:
//!
//! | from | to | by | lock |
//! |---|---|---|---|
//! | CLOSED | READY | the server's own thread blocking in `ipc_recv` with nobody queued | table |
//! | READY | SERVING | a direct caller ([`Endpoint::claim`]) | none |
//! | SERVING | READY | that caller when the handler returned ([`Endpoint::release`]) | none |
//! | READY | CLOSED | whoever consumes the server's `ipc_recv` on the switch path | table |
//! | SERVING | SERVING + `PENDING` | a switch-path step that must wait for the direct call: the server's `ipc_recv` is withdrawn meanwhile ([`Endpoint::close`]) | table |
//! | SERVING + `PENDING` | CLOSED, then READY or a delivery | the releasing caller, whose release failed: it puts the `ipc_recv` back ([`Endpoint::unpend`], `direct::end_serving`) | table |
//! | any | DEAD | the server ending ([`Endpoint::kill`]) | table |
//!
//! So the direct path takes no lock unless something else happened meanwhile; every other path
//! holds the task table's lock, and the rendezvous stays consistent: `READY` and a plain
//! `SERVING` imply the rendezvous has the server waiting in `ipc_recv` from `from`.
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use hayabusa_ipc::TaskId;
use hayabusa_runtime::CallStack;

use crate::system::{System, ThreadId};
use crate::table::Ctl;
use crate::{FuncHandle, Memory};

/// Native stack of a server's handler on the direct path (the system adds a guard below).
/// Compiled code stops 64 KiB above its bottom, like on a thread's stack.
pub const HANDLER_STACK: u64 = 256 * 1024;

const PHASE: u64 = 0b11;
const CLOSED: u64 = 0;
const READY: u64 = 1;
const SERVING: u64 = 2;
const DEAD: u64 = 3;
/// With SERVING: the server's `ipc_recv` was withdrawn from the rendezvous meanwhile.
const PENDING: u64 = 0b100;
/// The high half: `from` of the server's `ipc_recv` (READY), or the thread serving (SERVING).
const SHIFT: u32 = 32;

/// What [`Endpoint::release`] found instead of a plain SERVING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contended {
    /// Others queued or the handler made a blocking call: the server's `ipc_recv` must be put
    /// back under the table lock.
    Pending,
    /// The server is ending.
    Dead,
}

pub struct Endpoint<S: System> {
    pub id: TaskId,
    state: AtomicU64,
    pub ctl: Arc<Ctl<S>>,
    pub handle: FuncHandle<S>,
    /// Address of the message buffer in `memory` (checked: 8-aligned, 4096 bytes inside).
    pub buffer: u32,
    pub memory: Arc<Memory<S>>,
    stack: S::Stack,
    /// Direct-path round trips served. Written only by the caller holding the claim.
    calls: AtomicU64,
}

impl<S: System> Endpoint<S> {
    /// An endpoint for the server of `ctl`, closed, with a handler stack of its own (`None`: no
    /// memory for the stack).
    pub fn new(ctl: Arc<Ctl<S>>, handle: FuncHandle<S>, buffer: u32, memory: Arc<Memory<S>>) -> Option<Endpoint<S>> {
        let stack = S::handler_stack(HANDLER_STACK)?;
        Some(Endpoint { id: ctl.id, state: AtomicU64::new(CLOSED), ctl, handle, buffer, memory, stack, calls: AtomicU64::new(0) })
    }

    /// The handler's stack, for `FuncHandle::call_raw_on`.
    pub fn call_stack(&self) -> CallStack {
        S::call_stack(&self.stack)
    }

    /// Claims the server for a direct call from `caller`: READY (from anyone or from `caller`)
    /// becomes SERVING by this thread. One atomic operation. Returns whom the server's
    /// `ipc_recv` receives from (for [`Endpoint::release`]), or `None` if it is not READY for
    /// `caller`.
    #[inline]
    pub fn claim(&self, caller: TaskId) -> Option<TaskId> {
        let s = self.state.load(Ordering::Relaxed);
        let from = (s >> SHIFT) as u32 as TaskId;
        if s & PHASE != READY || (from != 0 && from != caller) {
            return None;
        }
        let serving = SERVING | (S::current() << SHIFT);
        self.state.compare_exchange(s, serving, Ordering::Acquire, Ordering::Relaxed).ok().map(|_| from)
    }

    /// Ends the claim of this thread: SERVING becomes READY again, receiving from `from`, unless
    /// something happened meanwhile.
    #[inline]
    pub fn release(&self, from: TaskId) -> Result<(), Contended> {
        let serving = SERVING | (S::current() << SHIFT);
        match self.state.compare_exchange(serving, READY | ((from as u32 as u64) << SHIFT), Ordering::Release, Ordering::Acquire) {
            Ok(_) => Ok(()),
            Err(s) if s & PHASE == DEAD => Err(Contended::Dead),
            Err(_) => Err(Contended::Pending),
        }
    }

    /// Under the table lock, by the server's own thread now blocked in `ipc_recv(from)` with
    /// nobody queued: direct calls may come.
    pub fn open(&self, from: TaskId) {
        let _ = self.state.compare_exchange(CLOSED, READY | ((from as u32 as u64) << SHIFT), Ordering::Release, Ordering::Relaxed);
    }

    /// Under the table lock, before the switch path consumes the server's `ipc_recv` (delivers
    /// a call or wakes it with an error) or the handler's own blocking call uses its wait: READY
    /// becomes CLOSED, and a plain SERVING becomes SERVING + PENDING. Returns true in that second
    /// case: the caller must then withdraw the server's `ipc_recv` from the rendezvous (the
    /// releasing direct caller puts it back). One compare-and-swap decides either way, so a
    /// release racing with this (on another CPU) is seen, never lost.
    pub fn close(&self) -> bool {
        let mut s = self.state.load(Ordering::Acquire);
        loop {
            let next = match s & PHASE {
                READY => CLOSED,
                SERVING if s & PENDING == 0 => s | PENDING,
                _ => return false,
            };
            match self.state.compare_exchange(s, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return next & PHASE == SERVING,
                Err(now) => s = now,
            }
        }
    }

    /// Under the table lock, by the releasing caller of a PENDING claim: CLOSED again, before the
    /// server's `ipc_recv` is put back (which may deliver a queued caller, or [`Endpoint::open`]).
    pub fn unpend(&self) {
        let s = self.state.load(Ordering::Acquire);
        if s & PHASE == SERVING {
            self.state.store(CLOSED, Ordering::Release);
        }
    }

    /// Under the table lock: the server is ending (a direct call still running sees it when it
    /// releases).
    pub fn kill(&self) {
        self.state.store(DEAD, Ordering::Release);
    }

    /// The thread running a direct call of this server, if one is.
    pub fn serving_thread(&self) -> Option<ThreadId> {
        let s = self.state.load(Ordering::Acquire);
        (s & PHASE == SERVING).then_some(s >> SHIFT)
    }

    pub fn is_dead(&self) -> bool {
        self.state.load(Ordering::Acquire) & PHASE == DEAD
    }

    /// Counts one direct call; called by the caller holding the claim (the only writer then).
    pub fn count_call(&self) {
        self.calls.store(self.calls.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

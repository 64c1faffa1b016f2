//! A kernel thread: its stack (a guarded reservation), saved stack pointer and extended
//! register state, and bookkeeping for `ps`.
use alloc::boxed::Box;
use alloc::string::String;

use crate::arch::context::ExtendedState;
use crate::mm::Reservation;

/// Thread identifier; 0 is the boot thread (the console).
pub type ThreadId = u64;

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    Running,
    Blocked,
    Dead,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Ready => "ready",
            State::Running => "running",
            State::Blocked => "blocked",
            State::Dead => "dead",
        }
    }
}

/// Bytes of stack a spawned thread gets by default, and of guard below every stack.
pub const STACK_SIZE: u64 = 256 * 1024;
pub const STACK_GUARD: u64 = 64 * 1024;

pub struct Thread {
    pub id: ThreadId,
    pub name: String,
    pub state: State,
    /// Timer ticks during which this thread was running.
    pub ticks: u64,
    /// Saved stack pointer while not running.
    pub(super) rsp: u64,
    pub(super) ext: ExtendedState,
    /// `None` for the boot thread, which runs on the bootloader's stack.
    pub(super) stack: Option<Reservation>,
    /// The thread's innermost active call into compiled Wasm (`wasm::trap::EntryRecord`
    /// address, 0 for none), swapped in and out with the thread.
    pub(super) wasm_entry: usize,
    /// The task whose code the thread runs at its innermost Wasm entry (`wasm::trap::owner`,
    /// 0 for none), swapped in and out with the thread.
    pub(super) wasm_owner: usize,
    /// The stack limit compiled code checks (`wasm::platform::stack_limit`): its own stack's,
    /// or the one of the stack a call runs on (a server's handler), swapped with the thread.
    pub(super) wasm_limit: usize,
    /// A `wake` came while the thread was not blocked: its next `block` returns at once.
    pub(super) wake_pending: bool,
    /// Bytes of usable stack (0 for the boot thread).
    pub(super) stack_bytes: u64,
    /// The closure a new thread runs; taken when it first runs.
    pub(super) entry: Option<Box<dyn FnOnce() + Send>>,
}

impl Thread {
    pub(super) fn new(id: ThreadId, name: String, stack: Option<Reservation>, entry: Option<Box<dyn FnOnce() + Send>>) -> Self {
        let stack_bytes = stack.as_ref().map_or(0, |s| s.len() - STACK_GUARD);
        let wasm_limit = crate::wasm::platform::limit_for(stack.as_ref().map_or(0, |s| s.start() + STACK_GUARD));
        Self {
            id,
            name,
            state: State::Ready,
            ticks: 0,
            rsp: 0,
            ext: ExtendedState::new(),
            wasm_entry: 0,
            wasm_owner: 0,
            wasm_limit,
            wake_pending: false,
            stack_bytes,
            stack,
            entry,
        }
    }

    /// Bytes of stack (0 for the boot thread, whose stack the bootloader made).
    pub fn stack_size(&self) -> u64 {
        self.stack_bytes
    }

    /// Lowest usable stack address (0 for the boot thread).
    pub fn stack_bottom(&self) -> u64 {
        self.stack.as_ref().map_or(0, |s| s.start() + STACK_GUARD)
    }
}

//! Kernel threads and the preemptive round-robin scheduler (one CPU). The timer interrupt
//! preempts the running thread when its time slice is used up, so a thread spinning forever
//! (a Wasm task in `loop {}`) cannot freeze the system; the console keeps answering and can kill
//! it. All scheduler state is behind an interrupt-disabling lock.
pub mod thread;

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::instructions::interrupts;

use crate::arch::context::{self, ExtendedState};
use crate::arch::irqlock::IrqMutex;
use crate::mm::{self, ReserveError};
pub use thread::{State, Thread, ThreadId};

/// Timer ticks a thread may run before another ready thread gets the CPU.
pub const TIME_SLICE_TICKS: u32 = 2;

struct Scheduler {
    threads: BTreeMap<ThreadId, Box<Thread>>,
    ready: VecDeque<ThreadId>,
    current: ThreadId,
    idle: ThreadId,
    next_id: ThreadId,
    slice_left: u32,
}

static SCHED: IrqMutex<Option<Scheduler>> = IrqMutex::new(None);
static SWITCHES: AtomicU64 = AtomicU64::new(0);
/// The running thread's id (also in the scheduler; here to be read without its lock).
static CURRENT: AtomicU64 = AtomicU64::new(0);

/// Makes the boot context thread 0 (`name`) and starts the idle thread.
pub fn init(name: &str) {
    let mut boot = Box::new(Thread::new(0, String::from(name), None, None));
    boot.state = State::Running;
    let mut threads = BTreeMap::new();
    threads.insert(0, boot);
    *SCHED.lock() = Some(Scheduler { threads, ready: VecDeque::new(), current: 0, idle: 1, next_id: 1, slice_left: TIME_SLICE_TICKS });
    let idle_id = spawn("idle", idle).expect("cannot start the idle thread");
    debug_assert_eq!(idle_id, 1);
}

fn idle() {
    loop {
        if others_ready() {
            yield_now();
        } else {
            interrupts::enable_and_hlt();
        }
    }
}

/// Starts a kernel thread running `f` on a default-sized stack. Returns its id.
pub fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<ThreadId, ReserveError> {
    spawn_with_stack(name, thread::STACK_SIZE, f)
}

/// Starts a kernel thread running `f` on a stack of `stack_size` bytes. Returns its id.
pub fn spawn_with_stack(name: &str, stack_size: u64, f: impl FnOnce() + Send + 'static) -> Result<ThreadId, ReserveError> {
    let stack = mm::reserve_stack(stack_size, thread::STACK_GUARD)?;
    let top = stack.start() + stack.len();
    let mut guard = SCHED.lock();
    let s = guard.as_mut().expect("sched::init has not run");
    let id = s.next_id;
    s.next_id += 1;
    let mut t = Box::new(Thread::new(id, String::from(name), Some(stack), Some(Box::new(f))));
    // SAFETY: `top` is the 16-aligned end of a stack that `reserve_stack` mapped in full and
    // that only this new thread will use.
    t.rsp = unsafe { context::initial_stack(top, thread_entry, id as usize) };
    s.threads.insert(id, t);
    s.ready.push_back(id);
    Ok(id)
}

extern "sysv64" fn thread_entry(id: usize) -> ! {
    // Interrupts are still disabled here (the initial RFLAGS), so the lock is uncontended.
    let entry = {
        let mut guard = SCHED.lock();
        let s = guard.as_mut().expect("scheduler");
        let t = s.threads.get_mut(&(id as u64)).expect("a started thread is registered");
        t.ext.restore();
        t.entry.take()
    };
    interrupts::enable();
    if let Some(f) = entry {
        f();
    }
    exit()
}

/// Runs `f` to completion on a new thread with a `stack_size`-byte stack and returns its result;
/// the caller yields (or halts) meanwhile. For work that needs a big stack, such as compiling.
pub fn run_on_thread<R: Send + 'static>(name: &str, stack_size: u64, f: impl FnOnce() -> R + Send + 'static) -> Result<R, ReserveError> {
    let slot: alloc::sync::Arc<IrqMutex<Option<R>>> = alloc::sync::Arc::new(IrqMutex::new(None));
    let out = slot.clone();
    spawn_with_stack(name, stack_size, move || {
        let result = f();
        *out.lock() = Some(result);
    })?;
    loop {
        if let Some(result) = slot.lock().take() {
            return Ok(result);
        }
        if others_ready() {
            yield_now();
        } else {
            interrupts::enable_and_hlt();
        }
    }
}

/// The lowest usable address of the running thread's stack (0 for the boot thread).
pub fn current_stack_bottom() -> u64 {
    SCHED.lock().as_ref().and_then(|s| s.threads.get(&s.current).map(|t| t.stack_bottom())).unwrap_or(0)
}

/// The running thread's id.
pub fn current() -> ThreadId {
    CURRENT.load(Ordering::Relaxed)
}

/// Whether a thread other than the running one and the idle thread is ready to run.
pub fn others_ready() -> bool {
    SCHED.lock().as_ref().is_some_and(|s| {
        s.ready.iter().any(|id| *id != s.idle && s.threads.get(id).is_some_and(|t| t.state == State::Ready))
    })
}

/// Gives the CPU to the next ready thread, if any.
pub fn yield_now() {
    interrupts::without_interrupts(|| switch_away(State::Ready));
}

/// Blocks the running thread until another thread calls [`wake`] for it. A `wake` that came
/// since the last `block` returned (the waker ran between the caller's check and this call)
/// makes it return at once, so check-then-block loops lose no wakeup. Callers loop on their own
/// condition: a wakeup says only "look again".
pub fn block() {
    interrupts::without_interrupts(|| {
        {
            let mut guard = SCHED.lock();
            let s = guard.as_mut().expect("scheduler");
            let cur = s.current;
            let t = s.threads.get_mut(&cur).expect("the running thread is registered");
            if core::mem::take(&mut t.wake_pending) {
                return;
            }
        }
        switch_away(State::Blocked);
    });
}

/// Makes thread `id` ready if it is blocked, or else lets its next [`block`] return at once.
/// Unknown and dead threads are ignored. A woken thread goes to the front of the ready queue:
/// it runs as soon as the waker blocks or yields (an IPC partner is switched to directly, not
/// after every other ready thread's time slice); preemption still sends every thread to the back.
pub fn wake(id: ThreadId) {
    if let Some(s) = SCHED.lock().as_mut() {
        s.make_ready(id);
    }
}

/// [`wake`] from an interrupt handler: gives up (returns false) instead of spinning when the
/// scheduler's lock is held, by another CPU or by code this interrupt cannot have interrupted
/// on this one (every holder keeps interrupts disabled); the caller tries again later.
pub fn wake_from_interrupt(id: ThreadId) -> bool {
    let Some(mut guard) = SCHED.try_lock() else { return false };
    if let Some(s) = guard.as_mut() {
        s.make_ready(id);
    }
    true
}

impl Scheduler {
    /// [`wake`]'s work, under the lock.
    fn make_ready(&mut self, id: ThreadId) {
        let Some(t) = self.threads.get_mut(&id) else { return };
        match t.state {
            State::Blocked => {
                t.state = State::Ready;
                self.ready.push_front(id);
            }
            State::Dead => {}
            State::Ready | State::Running => t.wake_pending = true,
        }
    }
}

/// The state of thread `id`, if it exists.
pub fn state_of(id: ThreadId) -> Option<State> {
    SCHED.lock().as_ref()?.threads.get(&id).map(|t| t.state)
}

/// Ends the running thread.
pub fn exit() -> ! {
    interrupts::disable();
    switch_away(State::Dead);
    unreachable!("a dead thread was scheduled again")
}

/// Called from the timer interrupt (interrupts disabled): accounts the tick and preempts the
/// running thread when its slice is used up.
pub fn on_tick() {
    let preempt = match SCHED.try_lock() {
        Some(mut guard) => match guard.as_mut() {
            Some(s) => {
                let cur = s.current;
                if let Some(t) = s.threads.get_mut(&cur) {
                    t.ticks += 1;
                }
                s.slice_left = s.slice_left.saturating_sub(1);
                s.slice_left == 0
            }
            None => false,
        },
        None => false,
    };
    if preempt {
        switch_away(State::Ready);
    }
}

/// Ends thread `id`. A thread cannot be preempted while it holds a kernel lock (they all keep
/// interrupts disabled), so a ready or blocked thread can be torn down at any time.
pub fn kill(id: ThreadId) -> Result<(), KillError> {
    if id == 0 {
        return Err(KillError::Protected);
    }
    let is_current = {
        let mut guard = SCHED.lock();
        let s = guard.as_mut().expect("scheduler");
        let t = s.threads.get_mut(&id).ok_or(KillError::NoSuchThread)?;
        if id == s.idle {
            return Err(KillError::Protected);
        }
        if t.state == State::Dead {
            return Err(KillError::NoSuchThread);
        }
        if s.current == id {
            true
        } else {
            t.state = State::Dead;
            false
        }
    };
    if is_current {
        exit();
    }
    reap();
    Ok(())
}

/// Frees the stacks and records of dead threads (other than the running one, whose stack is
/// in use until it switches away). Also done at every context switch.
pub fn reap() {
    let dead = SCHED.lock().as_mut().map(take_dead).unwrap_or_default();
    drop(dead);
}

// Boxed because that is how the records live in the table (their addresses must not move).
#[allow(clippy::vec_box)]
fn take_dead(s: &mut Scheduler) -> Vec<Box<Thread>> {
    let cur = s.current;
    let ids: Vec<ThreadId> = s.threads.values().filter(|t| t.state == State::Dead && t.id != cur).map(|t| t.id).collect();
    ids.iter().filter_map(|id| s.threads.remove(id)).collect()
}

/// Why `kill` refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    NoSuchThread,
    /// The console and idle threads cannot be killed.
    Protected,
}

/// Snapshot of one thread, for `ps`.
#[derive(Clone, Debug)]
pub struct ThreadInfo {
    pub id: ThreadId,
    pub name: String,
    pub state: State,
    pub ticks: u64,
    pub stack: u64,
}

/// All live threads.
pub fn list() -> Vec<ThreadInfo> {
    let guard = SCHED.lock();
    let Some(s) = guard.as_ref() else { return Vec::new() };
    s.threads
        .values()
        .filter(|t| t.state != State::Dead)
        .map(|t| ThreadInfo { id: t.id, name: t.name.clone(), state: t.state, ticks: t.ticks, stack: t.stack_size() })
        .collect()
}

/// Context switches since boot.
pub fn switches() -> u64 {
    SWITCHES.load(Ordering::Relaxed)
}

/// Moves the running thread to `new_state` and switches to the next ready thread. With
/// nothing else ready, a thread that stays ready keeps running. Interrupts must be disabled.
fn switch_away(new_state: State) {
    let (old_rsp, new_rsp, old_ext, dead) = {
        let mut guard = SCHED.lock();
        let Some(s) = guard.as_mut() else { return };
        // A thread that blocks hands the rest of its time slice to the next one (an IPC partner
        // it just woke, at the front of the queue): two tasks calling each other thousands of
        // times per tick still share one slice, get preempted, and let every other thread run.
        if new_state != State::Blocked {
            s.slice_left = TIME_SLICE_TICKS;
        }
        let next = loop {
            match s.ready.pop_front() {
                Some(id) if s.threads.get(&id).is_some_and(|t| t.state == State::Ready) => break Some(id),
                Some(_) => continue,
                None => break None,
            }
        };
        let Some(next) = next else {
            // The idle thread is always ready or running, so only a thread that stays ready
            // (a yield or a preemption with nobody waiting) gets here.
            return;
        };
        let cur = s.current;
        let dead = take_dead(s);
        let current = s.threads.get_mut(&cur).expect("the running thread is registered");
        if current.state != State::Dead {
            current.state = new_state;
        }
        if current.state == State::Ready {
            s.ready.push_back(cur);
        }
        current.wasm_entry = crate::wasm::trap::active() as usize;
        current.wasm_owner = crate::wasm::trap::owner();
        current.wasm_limit = crate::wasm::platform::stack_limit();
        let old_rsp: *mut u64 = &mut current.rsp;
        let old_ext: *mut ExtendedState = &mut current.ext;
        let next_thread = s.threads.get_mut(&next).expect("ready thread is registered");
        next_thread.state = State::Running;
        crate::wasm::trap::set_active(next_thread.wasm_entry as *mut crate::wasm::trap::EntryRecord);
        crate::wasm::trap::set_owner(next_thread.wasm_owner);
        crate::wasm::platform::set_stack_limit(next_thread.wasm_limit);
        let new_rsp = next_thread.rsp;
        s.current = next;
        CURRENT.store(next, Ordering::Relaxed);
        (old_rsp, new_rsp, old_ext, dead)
    };
    drop(dead);
    SWITCHES.fetch_add(1, Ordering::Relaxed);
    // SAFETY: interrupts are disabled; `old_rsp`/`old_ext` point into the running thread's boxed
    // record, which is not freed while it runs (reaping skips the current thread), and `new_rsp`
    // was saved by `switch_stacks` or built by `initial_stack` on a stack that is still mapped.
    unsafe {
        (*old_ext).save();
        context::switch_stacks(old_rsp, new_rsp);
        // Running again: reload our own extended state.
        (*old_ext).restore();
    }
}

//! Threads of the hosted runner: OS threads numbered from 1 (the task layer's `ThreadId`), each
//! with its parker for `block`/`wake` (`std::thread::park`, whose token keeps a wake that comes
//! before the block), and a way to interrupt its Wasm code: `kick` pokes a thread at once and
//! then every [`TICK`] until it is gone or [`KICK_FOR`] has passed, as the kernel's timer ticks
//! reach a killed task's code (a poke counts as one tick for the grace of a killed caller
//! running a server's handler).
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hayabusa_compiler_host::cancel::ThreadHandle;
use hayabusa_tasks::ThreadId;
use parking_lot::RwLock;

/// How often the threads of ending tasks are poked (the kernel's timer tick).
pub const TICK: Duration = Duration::from_millis(10);
/// How long a kicked thread is poked at most (a kill waits a second for its task).
const KICK_FOR: Duration = Duration::from_secs(5);

struct Known {
    thread: std::thread::Thread,
    /// Set once the thread runs (it takes its own handle).
    poke: OnceLock<ThreadHandle>,
    blocked: AtomicBool,
}

static THREADS: RwLock<Option<HashMap<ThreadId, Arc<Known>>>> = RwLock::new(None);
static NEXT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static ME: Cell<ThreadId> = const { Cell::new(0) };
}

fn known(id: ThreadId) -> Option<Arc<Known>> {
    THREADS.read().as_ref()?.get(&id).cloned()
}

fn insert(id: ThreadId, thread: std::thread::Thread) -> Arc<Known> {
    // An endpoint keeps the thread serving it in half a word (`hayabusa_tasks`' `System`).
    assert!(id < 1 << 32, "thread numbers must stay below 2^32");
    let entry = Arc::new(Known { thread, poke: OnceLock::new(), blocked: AtomicBool::new(false) });
    THREADS.write().get_or_insert_with(HashMap::new).insert(id, entry.clone());
    entry
}

/// Called on a thread as it starts running for the runner: its number and its poke handle.
fn adopt(id: ThreadId, entry: &Known) {
    ME.with(|me| me.set(id));
    let _ = entry.poke.set(ThreadHandle::current());
}

/// The running thread's number (a thread the runner did not start, such as the console's, is
/// numbered at its first call).
#[inline]
pub fn current() -> ThreadId {
    match ME.with(Cell::get) {
        0 => first_seen(),
        id => id,
    }
}

/// Numbers a thread the runner did not start, at its first [`current`].
#[cold]
#[inline(never)]
fn first_seen() -> ThreadId {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let entry = insert(id, std::thread::current());
    adopt(id, &entry);
    id
}

/// Starts thread `name` with a `stack`-byte stack running `f`; its number, or `None` if the
/// system would not make it.
pub fn spawn(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> Option<ThreadId> {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let slot: Arc<OnceLock<Arc<Known>>> = Arc::new(OnceLock::new());
    let mine = slot.clone();
    let handle = std::thread::Builder::new()
        .name(name.to_string())
        .stack_size(usize::try_from(stack).ok()?)
        .spawn(move || {
            // Registered by the spawner before anyone knows this thread's number.
            let entry = loop {
                if let Some(entry) = mine.get() {
                    break entry.clone();
                }
                std::thread::yield_now();
            };
            adopt(id, &entry);
            // Forgotten when the thread ends, also by a panic.
            let _forget = Forget;
            f();
        })
        .ok()?;
    let _ = slot.set(insert(id, handle.thread().clone()));
    Some(id)
}

/// Forgets the running thread when dropped (at its end).
pub struct Forget;

impl Drop for Forget {
    fn drop(&mut self) {
        forget_current();
    }
}

/// Forgets the running thread (one [`current`] numbered), as it ends.
pub fn forget_current() {
    let id = ME.with(|me| me.replace(0));
    if id != 0 {
        THREADS.write().as_mut().map(|t| t.remove(&id));
    }
}

/// Blocks the running thread until [`wake`] (or spuriously: callers loop on their condition).
pub fn block() {
    let me = known(current());
    if let Some(k) = &me {
        k.blocked.store(true, Ordering::Relaxed);
    }
    std::thread::park();
    if let Some(k) = &me {
        k.blocked.store(false, Ordering::Relaxed);
    }
}

/// Makes thread `id`'s [`block`] return, now or at its next call.
pub fn wake(id: ThreadId) {
    if let Some(k) = known(id) {
        k.thread.unpark();
    }
}

/// Whether thread `id` is blocked; `None` if the runner knows no such thread.
pub fn blocked(id: ThreadId) -> Option<bool> {
    known(id).map(|k| k.blocked.load(Ordering::Relaxed))
}

/// Threads being kicked, with when to stop.
struct Kicks {
    list: Mutex<Vec<(ThreadId, Instant)>>,
    more: Condvar,
}

static KICKS: Kicks = Kicks { list: Mutex::new(Vec::new()), more: Condvar::new() };
static TICKER: OnceLock<()> = OnceLock::new();

/// Pokes thread `id` now and every [`TICK`] until it is gone (or [`KICK_FOR`] passed).
pub fn kick(id: ThreadId) {
    poke(id);
    TICKER.get_or_init(|| {
        std::thread::Builder::new().name("kick-ticker".into()).spawn(ticker).expect("the kick ticker thread");
    });
    let mut list = KICKS.list.lock().unwrap_or_else(|e| e.into_inner());
    list.push((id, Instant::now() + KICK_FOR));
    KICKS.more.notify_one();
}

fn poke(id: ThreadId) {
    if let Some(handle) = known(id).and_then(|k| k.poke.get().cloned()) {
        handle.poke();
    }
}

fn ticker() {
    let mut list = KICKS.list.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        while list.is_empty() {
            list = KICKS.more.wait(list).unwrap_or_else(|e| e.into_inner());
        }
        let now = Instant::now();
        list.retain(|(id, until)| *until > now && known(*id).is_some());
        let ids: Vec<ThreadId> = list.iter().map(|(id, _)| *id).collect();
        drop(list);
        for id in ids {
            poke(id);
        }
        std::thread::sleep(TICK);
        list = KICKS.list.lock().unwrap_or_else(|e| e.into_inner());
    }
}

/// Starts the thread that fires the tasks' TIMERs every [`TICK`], as the kernel's notes thread
/// does on its timer's ticks.
pub fn start_notes() {
    let spawned = std::thread::Builder::new().name("notes".into()).spawn(|| {
        loop {
            std::thread::sleep(TICK);
            if hayabusa_tasks::notify::due::<crate::system::Hosted>(<crate::system::Hosted as hayabusa_tasks::System>::uptime_ns()) {
                hayabusa_tasks::notify::tick::<crate::system::Hosted>();
            }
        }
    });
    if let Err(e) = spawned {
        eprintln!("hayabusa-host: no notes thread ({e}): TIMER requests will not fire");
    }
}

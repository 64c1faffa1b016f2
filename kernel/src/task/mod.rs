//! Tasks: a Wasm module of the ramdisk, compiled in the kernel, instantiated with its linear
//! memory, and run on a kernel thread of its own. A task sees only the four IPC imports
//! ([`imports`]); the table here is the one place that owns tasks, their permissions (the
//! manifest entry), the service registry and the switch-path rendezvous.
//!
//! Life of a task: [`start`] compiles the module and spawns the thread, which instantiates it,
//! finds the direct-path exports, and calls `_start`. The task ends when `_start` returns, when
//! it traps (here or in its handler on a caller's thread), when it asks the kernel to EXIT, or
//! when it is killed. Ending is cooperative with the landing pad of the entry stub: a killed
//! task's code is abandoned at its next import or timer tick (`wasm::trap::cancel_now`,
//! `cancel_redirect`), so every Rust frame of its thread unwinds normally and nothing leaks. The
//! thread then removes the task from the table ([`finish`]): its service names are freed, tasks
//! blocked on it are woken with errors, and the report is printed.
//!
//! The table's lock is not taken on the direct path of IPC: a server's [`endpoint`] is claimed
//! with one atomic operation, and a caller finds the endpoints it may call in its own [`links`].
pub mod bench;
mod direct;
mod endpoint;
mod imports;
mod kernel_requests;
mod links;
pub mod steps;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use hayabusa_abi::{Error, MSG_SIZE};
use hayabusa_compiler::module::ValType;
use hayabusa_compiler::module::CodeSize;
use hayabusa_compiler::{BoundsChecks, CompiledModule, OptLevel};
use hayabusa_manifest::{Ipc, Task as Entry};
use hayabusa_runtime::memory::Refusal;
use hayabusa_runtime::{ResourceLimits, Trap};

use crate::arch::irqlock::IrqMutex;
use crate::ipc::TaskId;
use crate::ipc::registry::Registry;
use crate::ipc::rendezvous::{Rendezvous, Wait};
use crate::ipc::taskmap::TaskMap;
use endpoint::Endpoint;
use links::Links;
use crate::sched::{self, ThreadId};
use crate::wasm::jit::{self, CompileError};
use crate::wasm::platform::{Extern, FuncHandle, Instance, Memory, Store};
use crate::wasm::trap;
use crate::{kprintln, programs, time};

/// Stack of a task's thread unless its manifest entry says `stack =`. Compiled code stops 64 KiB
/// above its bottom (the stack limit), so deep recursion in a task traps with stack exhaustion
/// and never reaches the guard page.
pub const TASK_STACK: u64 = 1 << 20;
/// How large a task's linear memory may grow unless its manifest entry says `memory =`.
pub const DEFAULT_MEMORY: u64 = 64 << 20;
/// How many table elements a task may hold unless its manifest entry says `tables =`.
pub const DEFAULT_TABLE_ELEMENTS: u64 = 100_000;
/// Tasks alive at once, at most (each costs a thread, a stack and table entries).
pub const MAX_TASKS: usize = 2048;
/// The largest module the kernel compiles, in bytes. The bytes stay in the ramdisk; this bounds
/// the compiler's work and memory, which the console waits for.
pub const MAX_MODULE_BYTES: usize = 32 << 20;
/// The most functions a module may define: compile time and the compiler's memory grow with
/// them (about 1 ms per small function under emulation), and the console waits for the compile.
pub const MAX_FUNCTIONS: u32 = 20_000;

/// The resource limits of a task started from `entry`.
fn limits_of(entry: &Entry) -> ResourceLimits {
    ResourceLimits {
        memory_pages: entry.memory.unwrap_or(DEFAULT_MEMORY) / hayabusa_runtime::memory::PAGE_SIZE,
        table_elements: entry.tables.unwrap_or(DEFAULT_TABLE_ELEMENTS),
    }
}

/// What a task's imports reach without the table: its id and kill flag, shared with its thread,
/// its linear memory, and its links to the servers it calls directly.
pub struct Ctl {
    pub id: TaskId,
    /// Set when the task is to end; entry records of its code point here
    /// (`wasm::trap::set_owner`).
    pub killed: AtomicBool,
    /// Its memory, once instantiated.
    memory: spin::Once<Arc<Memory>>,
    /// Locked by the task's own `ipc_call` (one at a time), and by [`finish`] of a server to
    /// drop links to it.
    links: spin::Mutex<Links>,
}

impl Ctl {
    fn killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// The owner value for `wasm::trap::set_owner`.
    fn owner(&self) -> usize {
        &self.killed as *const AtomicBool as usize
    }
}

/// Runs `f` (calls into `ctl`'s task's code) with `ctl` as the owner of the entry records.
fn as_owner<R>(ctl: &Ctl, f: impl FnOnce() -> R) -> R {
    let previous = trap::set_owner(ctl.owner());
    let result = f();
    trap::set_owner(previous);
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
    /// handler did not return within `wasm::trap::GRACE_TICKS`.
    Abandoned { caller: TaskId },
    /// It could not be instantiated or has no usable `_start`.
    LoadFailed(String),
}

/// A server's direct-path exports: `hayabusa_handle` and the address `hayabusa_msg_buffer`
/// returned.
struct Direct {
    handle: FuncHandle,
    buffer: u32,
}

/// One task, as the table holds it.
struct Task {
    ctl: Arc<Ctl>,
    name: String,
    entry: Entry<'static>,
    args: String,
    thread: ThreadId,
    code_bytes: usize,
    compile_ns: u64,
    /// Set by the task's thread once instantiated. The table owns them; calls clone them.
    store: Option<Store>,
    instance: Option<Instance>,
    memory: Option<Arc<Memory>>,
    /// A server that exports the direct path and is not forced onto the switch path.
    endpoint: Option<Arc<Endpoint>>,
    /// The services it may reach (the manifest's `reach`, split once).
    reach: Vec<&'static str>,
    /// The live tasks providing those services, as of registry generation `.0` (a cache for
    /// the permission check of every slow-path call).
    reachable: Option<(u64, Vec<TaskId>)>,
    /// Buffer of the task's pending `ipc_call` (switch path) and `ipc_recv`.
    call_ptr: u32,
    recv_ptr: u32,
    /// The result of the rendezvous wait made on the task's behalf (by `rdv_thread`).
    slot: Option<Result<i32, Error>>,
    rdv_thread: ThreadId,
    /// While a direct call runs the task's handler and its own thread's `ipc_recv` had to be
    /// withdrawn from the rendezvous (`direct::suspend`): whom it received from (0: anyone).
    serving_from: Option<TaskId>,
    /// Why it is ending, once decided (by EXIT, a kill, or a trap in its handler).
    end: Option<End>,
    /// Round trips served on the switch path, for `services` (the direct path counts in the
    /// endpoint).
    switch_calls: u64,
}

impl Task {
    fn memory(&self) -> Result<&Arc<Memory>, Error> {
        self.memory.as_ref().ok_or(Error::BadPointer)
    }
}

struct Table {
    tasks: TaskMap<Task>,
    /// Every change bumps `links::generation` (invalidates links and `Task::reachable`).
    registry: Registry,
    rdv: Rendezvous,
    next_id: TaskId,
}

static TABLE: IrqMutex<Table> =
    IrqMutex::new(Table { tasks: TaskMap::new(), registry: Registry::new(), rdv: Rendezvous::new(), next_id: 2 });

impl Table {
    /// Whether task `caller` may call task `dst`: `dst` is the live provider of a service in
    /// `caller`'s `reach` (cached per caller until the registry changes).
    fn may_call(&mut self, caller: TaskId, dst: TaskId) -> bool {
        let generation = links::generation();
        let Some(task) = self.tasks.get_mut(caller) else { return false };
        let stale = task.reachable.as_ref().is_none_or(|(g, _)| *g != generation);
        if stale {
            let ids = self.registry.iter().filter(|(name, _)| task.reach.contains(name)).map(|(_, id)| id).collect();
            task.reachable = Some((generation, ids));
        }
        task.reachable.as_ref().is_some_and(|(_, ids)| ids.contains(&dst))
    }

    fn alive(&self, id: TaskId) -> bool {
        self.tasks.get(id).is_some_and(|t| !t.ctl.killed())
    }

    /// Marks task `id` as ending for `why` (the first reason given wins) and frees its service
    /// names at once (a restarted server may register them; lookups say NOT_FOUND meanwhile).
    /// Returns the threads blocked on its behalf, to be woken so that its code is abandoned.
    fn mark_ending(&mut self, id: TaskId, why: End) -> [ThreadId; 2] {
        self.registry.task_died(id);
        links::registry_changed();
        let Some(t) = self.tasks.get_mut(id) else { return [0; 2] };
        if t.end.is_none() {
            t.end = Some(why);
        }
        t.ctl.killed.store(true, Ordering::Relaxed);
        if let Some(ep) = &t.endpoint {
            ep.kill();
        }
        [t.thread, t.rdv_thread]
    }
}

fn wake_all(threads: impl IntoIterator<Item = ThreadId>) {
    for id in threads {
        if id != 0 {
            sched::wake(id);
        }
    }
}

/// Why [`start`] failed.
#[derive(Debug)]
pub enum StartError {
    NoManifest,
    UnknownTask,
    MissingModule(&'static str),
    Compile(String),
    NoThread,
    /// A task of this name runs already and provides a service that is still registered.
    ServiceRunning(&'static str),
    /// [`MAX_TASKS`] tasks are alive.
    TooManyTasks,
    /// The module is larger than [`MAX_MODULE_BYTES`] or defines more than [`MAX_FUNCTIONS`].
    TooLarge(String),
    /// Compiling may need `need` bytes of heap, and only `left` are left for tasks.
    NoMemoryToCompile { need: u64, left: u64 },
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::NoManifest => write!(f, "the ramdisk has no valid manifest"),
            StartError::UnknownTask => write!(f, "no such task in the manifest (see `programs`)"),
            StartError::MissingModule(file) => write!(f, "the ramdisk has no {file}"),
            StartError::Compile(e) => write!(f, "compile error: {e}"),
            StartError::NoThread => write!(f, "out of memory for the task's thread and stack"),
            StartError::TooManyTasks => write!(f, "{MAX_TASKS} tasks are running already (the limit)"),
            StartError::TooLarge(why) => write!(f, "module refused: {why}"),
            StartError::NoMemoryToCompile { need, left } => {
                write!(f, "out of memory to compile it (may need {} KiB, {} KiB left for tasks)", need / 1024, left / 1024)
            }
            StartError::ServiceRunning(name) => write!(f, "service {name} is provided by a running task"),
        }
    }
}

/// Heap bytes compiling a module of `size` may take at its peak: generous for Cranelift's
/// per-function state and the image (measured: 20,000 small functions peak below 8 MiB).
fn compile_heap_estimate(size: CodeSize) -> u64 {
    (4 << 20) + 32 * size.code_bytes + 512 * u64::from(size.functions)
}

/// Modules compiled so far, by ramdisk file, with their compile time: a module is compiled once
/// and every task started from it shares the result (each instance still loads its own copy
/// of the code). Bounded by the ramdisk's files; kept for the kernel's life.
static COMPILED: IrqMutex<Vec<(&'static str, Arc<CompiledModule>, u64)>> = IrqMutex::new(Vec::new());

/// The compiled module of ramdisk file `file` (bytes `wasm`), compiled now if it was not yet
/// (outside the lock: a compile takes a while), and how long its compile took.
fn compiled(file: &'static str, wasm: &'static [u8], size: CodeSize) -> Result<(Arc<CompiledModule>, u64), StartError> {
    if let Some((_, module, ns)) = COMPILED.lock().iter().find(|(f, ..)| *f == file) {
        return Ok((module.clone(), *ns));
    }
    // The compiler allocates from the kernel heap without a way to fail: compile only when the
    // heap can grow by what it may need without eating into the kernel's reserve.
    let need = compile_heap_estimate(size);
    let left = crate::mm::stats().for_tasks * 4096;
    if need > left {
        return Err(StartError::NoMemoryToCompile { need, left });
    }
    let (module, ns) = jit::compile(wasm, OptLevel::Speed, BoundsChecks::Guard).map_err(|e| match e {
        CompileError::Wasm(e) => StartError::Compile(e.to_string()),
        CompileError::NoStack => StartError::NoThread,
    })?;
    let module = Arc::new(module);
    let mut cache = COMPILED.lock();
    if !cache.iter().any(|(f, ..)| *f == file) {
        cache.push((file, module.clone(), ns));
    }
    Ok((module, ns))
}

/// Starts the manifest's task `name` with `args` (`None`: the manifest's `args`). Compiles the
/// module (on a compile thread), then spawns the task's thread. Returns the new task's id.
pub fn start(name: &str, args: Option<&str>) -> Result<TaskId, StartError> {
    let manifest = programs::manifest().ok_or(StartError::NoManifest)?;
    let entry = manifest.task(name).ok_or(StartError::UnknownTask)?;
    let wasm = programs::module(&entry).ok_or(StartError::MissingModule(entry.file))?;
    if let Some(service) = entry.provides
        && TABLE.lock().registry.lookup(service).is_ok()
    {
        return Err(StartError::ServiceRunning(service));
    }
    if TABLE.lock().tasks.len() >= MAX_TASKS {
        return Err(StartError::TooManyTasks);
    }
    if wasm.len() > MAX_MODULE_BYTES {
        return Err(StartError::TooLarge(format!("{} bytes, more than the limit of {MAX_MODULE_BYTES}", wasm.len())));
    }
    let size = hayabusa_compiler::module::code_size(wasm);
    if size.functions > MAX_FUNCTIONS {
        return Err(StartError::TooLarge(format!("{} functions, more than the limit of {MAX_FUNCTIONS}", size.functions)));
    }
    let (module, compile_ns) = compiled(entry.file, wasm, size)?;
    let code_bytes = module.image.code.len();
    let args = String::from(args.unwrap_or(entry.args));
    let ctl = {
        let mut table = TABLE.lock();
        let id = table.next_id;
        table.next_id += 1;
        let ctl = Arc::new(Ctl { id, killed: AtomicBool::new(false), memory: spin::Once::new(), links: spin::Mutex::new(Links::new()) });
        table.tasks.insert(id, Task {
            ctl: ctl.clone(),
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
        });
        ctl
    };
    let id = ctl.id;
    let task_ctl = ctl.clone();
    // Spawned unlocked (mapping the stack takes a while); the thread waits until it is entered.
    let limits = limits_of(&entry);
    let spawned = sched::spawn_with_stack(entry.name, entry.stack.unwrap_or(TASK_STACK), move || {
        while TABLE.lock().tasks.get(task_ctl.id).is_some_and(|t| t.thread == 0) {
            sched::yield_now();
        }
        let end = run(&task_ctl, module, wasm, limits);
        finish(&task_ctl, end);
    });
    let mut table = TABLE.lock();
    match spawned {
        Ok(thread) => {
            let task = table.tasks.get_mut(id).expect("only its own thread removes a task");
            task.thread = thread;
            task.rdv_thread = thread;
            Ok(id)
        }
        Err(_) => {
            table.tasks.remove(id);
            Err(StartError::NoThread)
        }
    }
}

/// The task's thread: instantiate, bind, run `_start`.
fn run(ctl: &Arc<Ctl>, module: Arc<CompiledModule>, wasm: &[u8], limits: ResourceLimits) -> End {
    let imports = imports::for_task(ctl);
    let resolve = |module: &str, name: &str| {
        let (_, f) = imports.iter().find(|(n, _)| module == hayabusa_abi::IMPORT_MODULE && *n == name)?;
        Some(Extern::Func(f.clone()))
    };
    let store = Store::with_limits(limits);
    let instance = match as_owner(ctl, || Instance::new(&store, module, wasm, &resolve)) {
        Ok(instance) => instance,
        Err(e) => return End::LoadFailed(format!("instantiation failed: {e}")),
    };
    let memory = instance.memory().cloned();
    let direct = match direct_exports(ctl, &instance, memory.as_deref()) {
        Ok(direct) => direct,
        Err(why) => return End::LoadFailed(why),
    };
    if let Some(memory) = &memory {
        ctl.memory.call_once(|| memory.clone());
    }
    let switch_only = TABLE.lock().tasks.get(ctl.id).is_none_or(|t| t.entry.ipc == Ipc::Switch);
    // The endpoint (and its handler stack) is made unlocked: mapping a stack takes a while.
    let endpoint = match (direct, &memory) {
        (Some(d), Some(memory)) if !switch_only => match Endpoint::new(ctl.clone(), d.handle, d.buffer, memory.clone()) {
            Some(ep) => Some(Arc::new(ep)),
            None => return End::LoadFailed(String::from("no memory for the handler stack")),
        },
        _ => None,
    };
    let Some(start) = instance.export_func("_start") else {
        return End::LoadFailed(String::from("the module exports no _start"));
    };
    if !start.sig.params.is_empty() || !start.sig.results.is_empty() {
        return End::LoadFailed(String::from("_start must be [] -> []"));
    }
    {
        let mut table = TABLE.lock();
        let Some(task) = table.tasks.get_mut(ctl.id) else { return End::Killed };
        task.store = Some(store);
        task.instance = Some(instance);
        task.memory = memory;
        task.endpoint = endpoint;
    }
    if ctl.killed() {
        return End::Killed;
    }
    match as_owner(ctl, || start.call_raw(&mut [0])) {
        Ok(()) => End::Exited(0),
        Err(_) if ctl.killed() => End::Killed,
        Err(t) => End::Trapped(t),
    }
}

/// The direct-path exports, when the module has both: `hayabusa_handle: [i32] -> [i32]` and
/// `hayabusa_msg_buffer: [] -> [i32]`, whose buffer must be 8-aligned with room for a message.
fn direct_exports(ctl: &Ctl, instance: &Instance, memory: Option<&Memory>) -> Result<Option<Direct>, String> {
    let (Some(handle), Some(buffer)) = (instance.export_func("hayabusa_handle"), instance.export_func("hayabusa_msg_buffer")) else {
        return Ok(None);
    };
    if handle.sig.params != [ValType::I32] || handle.sig.results != [ValType::I32] {
        return Err(String::from("hayabusa_handle must be [i32] -> [i32]"));
    }
    if !buffer.sig.params.is_empty() || buffer.sig.results != [ValType::I32] {
        return Err(String::from("hayabusa_msg_buffer must be [] -> [i32]"));
    }
    let mut slots = [0u64];
    as_owner(ctl, || buffer.call_raw(&mut slots)).map_err(|t| format!("hayabusa_msg_buffer: {t}"))?;
    let address = slots[0] as u32;
    let fits = memory.is_some_and(|m| address % 8 == 0 && u64::from(address) + MSG_SIZE as u64 <= m.len_bytes());
    if !fits {
        return Err(format!("hayabusa_msg_buffer returned {address:#x}: not an 8-aligned 4096-byte buffer in memory"));
    }
    Ok(Some(Direct { handle, buffer: address }))
}

/// The end of a task, on its own thread: out of the table, names freed, waiters woken, report.
fn finish(ctl: &Ctl, end: End) {
    let (task, threads) = {
        let mut table = TABLE.lock();
        let Some(mut task) = table.tasks.remove(ctl.id) else { return };
        ctl.killed.store(true, Ordering::Relaxed);
        if let Some(ep) = &task.endpoint {
            ep.kill();
        }
        table.registry.task_died(ctl.id);
        links::registry_changed();
        // No link keeps its endpoint (memory, code, handler stack) alive past this: ours go, and
        // every other task's link to it (a task in a call refreshes its links on its next one).
        ctl.links.lock().clear();
        for t in table.tasks.values() {
            if let Some(mut links) = t.ctl.links.try_lock() {
                links.forget(ctl.id);
            }
        }
        let mut threads = Vec::new();
        for effect in table.rdv.task_died(ctl.id) {
            if let crate::ipc::rendezvous::Effect::Wake { task: id, result } = effect {
                // A server woken out of `ipc_recv` can no longer be called directly.
                direct::suspend(&mut table, id);
                if let Some(t) = table.tasks.get_mut(id) {
                    t.slot = Some(result.map(|()| 0));
                    threads.push(t.rdv_thread);
                }
            }
        }
        // A reason given earlier (EXIT, a kill, a trap in its handler) says more than how the
        // thread saw its code stop.
        let end = task.end.take().unwrap_or(end);
        task.end = Some(end);
        (task, threads)
    };
    wake_all(threads);
    let who = format!("task {} ({})", ctl.id, task.name);
    match task.end.as_ref().expect("set above") {
        End::Exited(0) => kprintln!("{who} exited"),
        End::Exited(code) => kprintln!("{who} exited with code {code}"),
        End::Killed => kprintln!("{who} killed"),
        End::Abandoned { caller } => kprintln!(
            "{who} ended: its handler did not return within {} ms after its caller, task {caller}, was killed",
            trap::GRACE_TICKS * 1000 / time::TICK_HZ
        ),
        End::LoadFailed(why) => kprintln!("{who} failed to start: {why}"),
        End::Trapped(t) => {
            let cause = t.cause.map(|v| format!(" (CPU vector {v})")).unwrap_or_default();
            let func = rustc_demangle::demangle(&t.func);
            // A trap right after a refused `memory.grow` is most often an allocator giving up.
            let refused = match task.memory.as_ref().and_then(|m| m.last_refusal().map(|r| (r, m.cap_pages()))) {
                Some(((pages, Refusal::OverLimit), cap)) => {
                    format!("; before it, memory.grow to {pages} pages was refused (its limit is {cap} pages)")
                }
                Some(((pages, Refusal::NoMemory), _)) => {
                    format!("; before it, memory.grow to {pages} pages was refused (out of memory for tasks)")
                }
                None => String::new(),
            };
            kprintln!("{who} trapped: {} in {func:#} at wasm offset {:#x}{cause}{refused}", t.kind.message(), t.wasm_offset);
        }
    }
    // Dropped here, outside the lock: the instance, its memory and its code (unless a caller
    // still runs its handler, whose handle keeps them alive until it returns).
    drop(task);
}

/// Why [`kill`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    NoSuchTask,
}

/// Ends task `id`: its code is abandoned at the next import call or timer tick; waits up to a
/// second for it to be gone. Returns its name and whether it is gone.
pub fn kill(id: TaskId) -> Result<(String, bool), KillError> {
    let (name, threads) = {
        let mut table = TABLE.lock();
        let name = table.tasks.get(id).ok_or(KillError::NoSuchTask)?.name.clone();
        (name, table.mark_ending(id, End::Killed))
    };
    wake_all(threads);
    Ok((name, wait_gone(id, 1000)))
}

/// Ends every task named `name` (as [`kill`], waiting up to a second and a millisecond per task
/// for them all). Returns how many were marked and how many are gone.
pub fn kill_named(name: &str) -> (usize, usize) {
    let (ids, threads) = {
        let mut table = TABLE.lock();
        let ids: Vec<TaskId> = table.tasks.iter().filter(|(_, t)| t.name == name).map(|(id, _)| id).collect();
        let threads: Vec<ThreadId> = ids.iter().flat_map(|&id| table.mark_ending(id, End::Killed)).collect();
        (ids, threads)
    };
    wake_all(threads);
    let gone = wait_all_gone(&ids, 1000 + ids.len() as u64);
    (ids.len(), gone)
}

/// Waits up to `ms` for task `id` to leave the table; whether it did.
pub fn wait_gone(id: TaskId, ms: u64) -> bool {
    wait_all_gone(&[id], ms) == 1
}

/// Waits up to `ms` for the tasks `ids` to leave the table; how many did.
fn wait_all_gone(ids: &[TaskId], ms: u64) -> usize {
    let deadline = time::uptime_ms() + ms;
    loop {
        let left = {
            let table = TABLE.lock();
            ids.iter().filter(|&&id| table.tasks.contains_key(id)).count()
        };
        if left == 0 || time::uptime_ms() >= deadline {
            return ids.len() - left;
        }
        sched::yield_now();
    }
}

/// Whether task `id` is done starting: ended, registered a service, or blocked in IPC.
fn settled(id: TaskId) -> bool {
    let table = TABLE.lock();
    !table.tasks.contains_key(id) || table.registry.names_of(id).next().is_some() || table.rdv.wait_of(id).is_some()
}

/// Starts the manifest's `boot = yes` tasks in order, each after the one before has settled
/// (registered its service, blocked, or ended; at most two seconds each), so that a client's
/// first lookup finds the services listed before it.
pub fn start_boot_tasks() {
    let Some(manifest) = programs::manifest() else { return };
    for entry in manifest.tasks().filter(|t| t.boot) {
        match start(entry.name, None) {
            Ok(id) => {
                log::info!("task {id} ({}) started", entry.name);
                let deadline = time::uptime_ms() + 2000;
                while !settled(id) && time::uptime_ms() < deadline {
                    sched::yield_now();
                }
            }
            Err(e) => log::error!("task {}: cannot start: {e}", entry.name),
        }
    }
}

/// Snapshot of one task, for `ps`.
pub struct TaskInfo {
    pub id: TaskId,
    pub name: String,
    pub state: &'static str,
    pub thread: ThreadId,
    pub memory_pages: u64,
    pub code_bytes: usize,
    pub compile_us: u64,
}

/// Every task.
pub fn list() -> Vec<TaskInfo> {
    let table = TABLE.lock();
    let mut tasks: Vec<TaskInfo> = table
        .tasks
        .values()
        .map(|t| {
            let state = if t.ctl.killed() {
                "ending"
            } else if t.endpoint.as_ref().is_some_and(|ep| ep.serving_thread().is_some()) {
                "serving"
            } else {
                match table.rdv.wait_of(t.ctl.id) {
                    Some(Wait::Recv { .. }) => "recv",
                    Some(Wait::Queued { .. } | Wait::Reply { .. }) => "call",
                    None => match sched::state_of(t.thread) {
                        Some(sched::State::Blocked) => "blocked",
                        Some(_) if t.instance.is_none() => "starting",
                        _ => "running",
                    },
                }
            };
            TaskInfo {
                id: t.ctl.id,
                name: t.name.clone(),
                state,
                thread: t.thread,
                memory_pages: t.memory.as_ref().map_or(0, |m| m.pages()),
                code_bytes: t.code_bytes,
                compile_us: t.compile_ns / 1000,
            }
        })
        .collect();
    tasks.sort_by_key(|t| t.id);
    tasks
}

/// One registered service, for `services`.
pub struct ServiceInfo {
    pub name: String,
    pub task: TaskId,
    pub task_name: String,
    /// "direct" (handler exported, path chosen per call) or "switch".
    pub path: &'static str,
    pub direct_calls: u64,
    pub switch_calls: u64,
}

/// Every registered service.
pub fn services() -> Vec<ServiceInfo> {
    let table = TABLE.lock();
    table
        .registry
        .iter()
        .filter_map(|(name, id)| {
            let t = table.tasks.get(id)?;
            let path = if t.endpoint.is_some() { "direct" } else { "switch" };
            Some(ServiceInfo {
                name: String::from(name),
                task: id,
                task_name: t.name.clone(),
                path,
                direct_calls: t.endpoint.as_ref().map_or(0, |ep| ep.calls()),
                switch_calls: t.switch_calls,
            })
        })
        .collect()
}

/// The task registered as `service`, if any.
pub fn provider(service: &str) -> Option<TaskId> {
    TABLE.lock().registry.lookup(service).ok()
}

//! How tasks begin and end: [`start`] (checks, compile, thread), the task's thread
//! (instantiate, find the direct path, run `_start`), its end (out of the table, names freed,
//! waiters woken, the report), [`kill`] and the boot tasks.
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use hayabusa_abi::MSG_SIZE;
use hayabusa_compiler::module::{CodeSize, ValType};
use hayabusa_compiler::{CompiledModule, OptLevel};
use hayabusa_ipc::TaskId;
use hayabusa_ipc::rendezvous::Effect;
use hayabusa_manifest::{Ipc, Task as Entry};
use hayabusa_runtime::memory::Refusal;
use hayabusa_runtime::ResourceLimits;

use crate::endpoint::Endpoint;
use crate::system::{CompileFailure, System, ThreadId};
use crate::table::{self, Ctl, End, Task, as_owner, rouse, wake_all};
use crate::{Extern, FuncHandle, Instance, Memory, Store, direct, imports, say};

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

/// A server's direct-path exports: `hayabusa_handle` and the address `hayabusa_msg_buffer`
/// returned.
struct Direct<S: System> {
    handle: FuncHandle<S>,
    buffer: u32,
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

/// The compiled module of ramdisk file `file` (bytes `wasm`), compiled now if it was not yet
/// (outside the lock: a compile takes a while), and how long its compile took.
///
/// A task granted a device gets its module compiled without Cranelift's optimisation passes
/// (`OptLevel::None`): those may merge, hoist or drop loads and stores, and a driver's loads and
/// stores may be device registers (docs/compiler.md, "Device memory"). Such a compile is cached
/// apart.
fn compiled<S: System>(file: &'static str, wasm: &'static [u8], size: CodeSize, device: bool) -> Result<(Arc<CompiledModule>, u64), StartError> {
    let opt = if device { OptLevel::None } else { OptLevel::Speed };
    if let Some((.., module, ns)) = S::state().compiled.lock().iter().find(|(f, o, ..)| *f == file && *o == opt) {
        return Ok((module.clone(), *ns));
    }
    // The compiler allocates without a way to fail (in the kernel, from its heap): compile only
    // when what it may need is left for tasks (the kernel keeps its own reserve apart).
    let need = compile_heap_estimate(size);
    let left = S::memory_left();
    if need > left {
        return Err(StartError::NoMemoryToCompile { need, left });
    }
    let (module, ns) = S::compile(wasm, opt).map_err(|e| match e {
        CompileFailure::Invalid(e) => StartError::Compile(e),
        CompileFailure::NoMemory => StartError::NoThread,
    })?;
    let module = Arc::new(module);
    let mut cache = S::state().compiled.lock();
    if !cache.iter().any(|(f, o, ..)| *f == file && *o == opt) {
        cache.push((file, opt, module.clone(), ns));
    }
    Ok((module, ns))
}

/// Starts the manifest's task `name` with `args` (`None`: the manifest's `args`). Compiles the
/// module (on a compile thread), then spawns the task's thread. Returns the new task's id.
pub fn start<S: System>(name: &str, args: Option<&str>) -> Result<TaskId, StartError> {
    let manifest = S::manifest().ok_or(StartError::NoManifest)?;
    let entry = manifest.task(name).ok_or(StartError::UnknownTask)?;
    if let Some(body) = S::native(entry.file) {
        return crate::native::start(entry, args, body);
    }
    let wasm = S::module(entry.file).ok_or(StartError::MissingModule(entry.file))?;
    if let Some(service) = entry.provides
        && table::lock::<S>().registry.lookup(service).is_ok()
    {
        return Err(StartError::ServiceRunning(service));
    }
    if table::lock::<S>().tasks.len() >= MAX_TASKS {
        return Err(StartError::TooManyTasks);
    }
    if wasm.len() > MAX_MODULE_BYTES {
        return Err(StartError::TooLarge(format!("{} bytes, more than the limit of {MAX_MODULE_BYTES}", wasm.len())));
    }
    let size = hayabusa_compiler::module::code_size(wasm);
    if size.functions > MAX_FUNCTIONS {
        return Err(StartError::TooLarge(format!("{} functions, more than the limit of {MAX_FUNCTIONS}", size.functions)));
    }
    let device = entry.devices.iter().any(|d| d != "serial");
    let (module, compile_ns) = compiled::<S>(entry.file, wasm, size, device)?;
    let code_bytes = module.image.code.len();
    let args = String::from(args.unwrap_or(entry.args));
    let ctl = {
        let mut table = table::lock::<S>();
        let id = table.next_id;
        table.next_id += 1;
        let ctl = Arc::new(Ctl::new(id));
        table.tasks.insert(id, Task::new(ctl.clone(), entry, args, code_bytes, compile_ns));
        ctl
    };
    let id = ctl.id;
    let task_ctl = ctl.clone();
    // Spawned unlocked (mapping the stack takes a while); the thread waits until it is entered.
    let limits = limits_of(&entry);
    let body = move || {
        while table::lock::<S>().tasks.get(task_ctl.id).is_some_and(|t| t.thread == 0) {
            S::yield_now();
        }
        // A kill while the thread was being made found no thread to rouse: no code has run yet.
        let end = if task_ctl.killed() { End::Killed } else { run(&task_ctl, module, wasm, limits) };
        finish(&task_ctl, end);
    };
    let spawned = S::spawn(entry.name, entry.stack.unwrap_or(TASK_STACK), alloc::boxed::Box::new(body));
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
            Err(StartError::NoThread)
        }
    }
}

/// The task's thread: instantiate, bind, run `_start`.
fn run<S: System>(ctl: &Arc<Ctl<S>>, module: Arc<CompiledModule>, wasm: &[u8], limits: ResourceLimits) -> End {
    let imports = imports::for_task(ctl);
    let resolve = |module: &str, name: &str| {
        let (_, f) = imports.iter().find(|(n, _)| module == hayabusa_abi::IMPORT_MODULE && *n == name)?;
        Some(Extern::<S>::Func(f.clone()))
    };
    let store = Store::<S>::with_limits(limits);
    let instance = match as_owner(ctl, || Instance::<S>::new(&store, module, wasm, &resolve)) {
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
    let switch_only = table::lock::<S>().tasks.get(ctl.id).is_none_or(|t| t.entry.ipc == Ipc::Switch);
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
        let mut table = table::lock::<S>();
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
fn direct_exports<S: System>(ctl: &Ctl<S>, instance: &Instance<S>, memory: Option<&Memory<S>>) -> Result<Option<Direct<S>>, String> {
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
pub(crate) fn finish<S: System>(ctl: &Ctl<S>, end: End) {
    let (task, threads) = {
        let mut table = table::lock::<S>();
        let Some(mut task) = table.tasks.remove(ctl.id) else { return };
        table.releasing.push(ctl.id);
        ctl.killed.store(true, Ordering::Relaxed);
        if let Some(ep) = &task.endpoint {
            ep.kill();
        }
        table.registry.task_died(ctl.id);
        crate::links::registry_changed::<S>();
        crate::native::task_ended(&mut table, ctl.id);
        // No link keeps its endpoint (memory, code, handler stack) alive past this: every other
        // task's link to it goes (a task in a call refreshes its links on its next one), and
        // ours go below, unlocked: our handler may still run a direct call on a caller's thread,
        // holding our links, and end only by taking this lock.
        for t in table.tasks.values() {
            if let Some(mut links) = t.ctl.links.try_lock() {
                links.forget(ctl.id);
            }
        }
        let mut threads = Vec::new();
        for effect in table.rdv.task_died(ctl.id) {
            if let Effect::Wake { task: id, result } = effect {
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
    wake_all::<S>(threads);
    // Its devices stop before its memory (their DMA frames) can be freed below.
    S::task_ended(ctl.id);
    ctl.links.lock().clear();
    let who = format!("task {} ({})", ctl.id, task.name);
    match task.end.as_ref().expect("set above") {
        End::Exited(0) => say!(S, "{who} exited"),
        End::Exited(code) => say!(S, "{who} exited with code {code}"),
        End::Killed => say!(S, "{who} killed"),
        End::Abandoned { caller } => say!(
            S,
            "{who} ended: its handler did not return within {} ms after its caller, task {caller}, was killed",
            S::GRACE_MS
        ),
        End::LoadFailed(why) => say!(S, "{who} failed to start: {why}"),
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
            say!(S, "{who} trapped: {} in {func:#} at wasm offset {:#x}{cause}{refused}", t.kind.message(), t.wasm_offset);
        }
    }
    // Dropped here, outside the lock: the instance, its memory and its code (unless a caller
    // still runs its handler, whose handle keeps them alive until it returns).
    drop(task);
    table::lock::<S>().releasing.retain(|&id| id != ctl.id);
}

/// Why [`kill`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillError {
    NoSuchTask,
}

/// Ends task `id`: its code is abandoned at the next import call or timer tick; waits up to a
/// second for it to be gone. Returns its name and whether it is gone.
pub fn kill<S: System>(id: TaskId) -> Result<(String, bool), KillError> {
    let (name, threads) = {
        let mut table = table::lock::<S>();
        let name = table.tasks.get(id).ok_or(KillError::NoSuchTask)?.name.clone();
        (name, table.mark_ending(id, End::Killed))
    };
    rouse::<S>(threads);
    Ok((name, wait_gone::<S>(id, 1000)))
}

/// Ends every task named `name` (as [`kill`], waiting up to a second and a millisecond per task
/// for them all). Returns how many were marked and how many are gone.
pub fn kill_named<S: System>(name: &str) -> (usize, usize) {
    let (ids, threads) = {
        let mut table = table::lock::<S>();
        let ids: Vec<TaskId> = table.tasks.iter().filter(|(_, t)| t.name == name).map(|(id, _)| id).collect();
        let threads: Vec<ThreadId> = ids.iter().flat_map(|&id| table.mark_ending(id, End::Killed)).collect();
        (ids, threads)
    };
    rouse::<S>(threads);
    let gone = wait_all_gone::<S>(&ids, 1000 + ids.len() as u64);
    (ids.len(), gone)
}

/// Waits up to `ms` for task `id` to leave the table and release what it held; whether it did.
pub fn wait_gone<S: System>(id: TaskId, ms: u64) -> bool {
    wait_all_gone::<S>(&[id], ms) == 1
}

/// Waits up to `ms` for the tasks `ids` to leave the table and release what they held; how many did.
fn wait_all_gone<S: System>(ids: &[TaskId], ms: u64) -> usize {
    let deadline = uptime_ms::<S>() + ms;
    loop {
        let left = {
            let table = table::lock::<S>();
            ids.iter().filter(|&&id| table.tasks.contains_key(id) || table.releasing.contains(&id)).count()
        };
        if left == 0 || uptime_ms::<S>() >= deadline {
            return ids.len() - left;
        }
        S::yield_now();
    }
}

/// Milliseconds since the system started.
pub fn uptime_ms<S: System>() -> u64 {
    S::uptime_ns() / 1_000_000
}

/// Whether task `id` is done starting: ended, registered a service, or blocked in IPC.
fn settled<S: System>(id: TaskId) -> bool {
    let table = table::lock::<S>();
    !table.tasks.contains_key(id) || table.registry.names_of(id).next().is_some() || table.rdv.wait_of(id).is_some()
}

/// Starts the manifest's `boot = yes` tasks in order, each after the one before has settled
/// (registered its service, blocked, or ended; at most two seconds each), so that a client's
/// first lookup finds the services listed before it. A `boot = if DEVICE` task starts only when
/// the machine has that device.
pub fn start_boot_tasks<S: System>() {
    let Some(manifest) = S::manifest() else { return };
    for entry in manifest.tasks().filter(|t| t.boot) {
        if let Some(device) = entry.boot_if
            && !S::has_device(device)
        {
            log::info!("task {} not started: no {device} device", entry.name);
            continue;
        }
        match start::<S>(entry.name, None) {
            Ok(id) => {
                log::info!("task {id} ({}) started", entry.name);
                let deadline = uptime_ms::<S>() + 2000;
                while !settled::<S>(id) && uptime_ms::<S>() < deadline {
                    S::yield_now();
                }
            }
            Err(e) => log::error!("task {}: cannot start: {e}", entry.name),
        }
    }
}


//! What the console shows of tasks: `ps`'s task list and `services`.
use alloc::string::String;
use alloc::vec::Vec;

use hayabusa_ipc::TaskId;
use hayabusa_ipc::rendezvous::Wait;

use crate::system::{System, ThreadId};
use crate::table;

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
pub fn list<S: System>() -> Vec<TaskInfo> {
    let table = table::lock::<S>();
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
                    None => match S::blocked(t.thread) {
                        Some(true) => "blocked",
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
pub fn services<S: System>() -> Vec<ServiceInfo> {
    let table = table::lock::<S>();
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
pub fn provider<S: System>(service: &str) -> Option<TaskId> {
    table::lock::<S>().registry.lookup(service).ok()
}

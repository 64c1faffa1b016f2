//! The console's commands about tasks, the same on every system: `run`, `spawn`, `kill`,
//! `services`, and the task half of `ps`. Each prints its answer through [`System::print`].
use alloc::string::String;

use crate::system::System;
use crate::{kill_named, list, say, services as service_list, start};

/// `ps`, the task half: every task (state, linear memory, code size, compile time, thread).
pub fn ps<S: System>() {
    say!(S, "{:>4}  {:<16} {:<9} {:>6} {:>9} {:>10} {:>7}", "TASK", "NAME", "STATE", "PAGES", "CODE B", "COMPILE us", "THREAD");
    for t in list::<S>() {
        say!(
            S,
            "{:>4}  {:<16} {:<9} {:>6} {:>9} {:>10} {:>7}",
            t.id,
            t.name,
            t.state,
            t.memory_pages,
            t.code_bytes,
            t.compile_us,
            t.thread
        );
    }
}

/// `run NAME [ARGS]`: starts a task of the manifest; ARGS (the rest of the line) replace the
/// manifest's `args`.
pub fn run<S: System>(args: &[&str]) {
    let Some((name, rest)) = args.split_first() else {
        say!(S, "usage: run NAME [ARGS]");
        return;
    };
    let joined: String = rest.join(" ");
    let args = if rest.is_empty() { None } else { Some(joined.as_str()) };
    match start::<S>(name, args) {
        Ok(id) => say!(S, "run: started task {id} ({name})"),
        Err(e) => say!(S, "error: run {name}: {e}"),
    }
}

/// `spawn N NAME [ARGS]`: starts N tasks of the manifest's NAME, stopping at the first refusal.
pub fn spawn<S: System>(args: &[&str]) {
    let (Some(Ok(count)), Some(name)) = (args.first().map(|n| n.parse::<usize>()), args.get(1)) else {
        say!(S, "usage: spawn N NAME [ARGS]");
        return;
    };
    let joined: String = args[2..].join(" ");
    let task_args = if args.len() > 2 { Some(joined.as_str()) } else { None };
    let mut ids = (0, 0);
    for started in 0..count {
        match start::<S>(name, task_args) {
            Ok(id) if started == 0 => ids = (id, id),
            Ok(id) => ids.1 = id,
            Err(e) => {
                say!(S, "spawn: started {started} of {count} {name} tasks; then refused: {e}");
                return;
            }
        }
    }
    say!(S, "spawn: started {count} {name} tasks (ids {} to {})", ids.0, ids.1);
}

/// `kill ID` ends a task; `kill NAME`, every task of that name.
pub fn kill<S: System>(args: &[&str]) {
    match args.first().map(|a| (a, a.parse::<i32>())) {
        Some((_, Ok(id))) => match crate::kill::<S>(id) {
            Ok((name, true)) => say!(S, "killed task {id} ({name})"),
            Ok((name, false)) => say!(S, "task {id} ({name}) is ending (still in the kernel)"),
            Err(crate::KillError::NoSuchTask) => say!(S, "error: no task {id} (see ps)"),
        },
        Some((name, Err(_))) => match kill_named::<S>(name) {
            (0, _) => say!(S, "error: no task named {name} (see ps)"),
            (marked, gone) if gone == marked => say!(S, "killed {marked} {name} tasks"),
            (marked, gone) => say!(S, "killed {gone} of {marked} {name} tasks; the rest are ending"),
        },
        None => say!(S, "usage: kill ID|NAME"),
    }
}

/// `services`: registered service names, their tasks and paths.
pub fn services<S: System>() {
    say!(S, "{:<16} {:>4}  {:<16} {:<7} {:>10} {:>10}", "SERVICE", "TASK", "NAME", "PATH", "DIRECT", "SWITCH");
    for s in service_list::<S>() {
        say!(
            S,
            "{:<16} {:>4}  {:<16} {:<7} {:>10} {:>10}",
            s.name,
            s.task,
            s.task_name,
            s.path,
            s.direct_calls,
            s.switch_calls
        );
    }
}


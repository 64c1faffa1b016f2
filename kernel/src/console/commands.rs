//! The console's built-in commands: a table of name, usage, help and handler.
use alloc::vec::Vec;

use crate::kprintln;

/// What the shell does after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Continue,
    Shutdown,
}

/// One console command.
pub struct Command {
    pub name: &'static str,
    pub usage: &'static str,
    pub help: &'static str,
    pub run: fn(&[&str]) -> Outcome,
}

/// Every command, in `help` order.
pub static COMMANDS: &[Command] = &[
    Command { name: "help", usage: "help", help: "list commands", run: help },
    Command { name: "mem", usage: "mem", help: "physical frames, heap and reservations", run: mem },
    Command { name: "uptime", usage: "uptime", help: "time since kernel entry and timer ticks", run: uptime },
    Command { name: "cpu", usage: "cpu", help: "processor vendor, model and JIT-relevant features", run: cpu },
    Command { name: "heaptest", usage: "heaptest", help: "allocate, check and free growing heap blocks", run: super::selftest::heap },
    Command { name: "vmtest", usage: "vmtest", help: "reserve 8 GiB lazily, touch, shrink, release", run: super::selftest::vm },
    Command { name: "ps", usage: "ps", help: "list tasks and threads", run: super::tasks::ps },
    Command { name: "run", usage: "run NAME [ARGS]", help: "start a task of the manifest (see programs)", run: super::tasks::run },
    Command { name: "spawn", usage: "spawn N NAME [ARGS]", help: "start N tasks of NAME (load and limit tests)", run: super::tasks::spawn },
    Command { name: "kill", usage: "kill ID|NAME", help: "end a task, or every task of that name", run: super::tasks::kill },
    Command { name: "services", usage: "services", help: "registered services, their tasks and IPC paths", run: super::tasks::services },
    Command { name: "bench", usage: "bench ipc [N]", help: "IPC round-trip latency, direct and switch path", run: super::bench::run },
    Command { name: "killthread", usage: "killthread ID", help: "end a kernel thread", run: super::tasks::kill_thread },
    Command { name: "spin", usage: "spin", help: "start a kernel thread that loops forever (try ps, killthread)", run: super::tasks::spin },
    Command { name: "threads", usage: "threads", help: "preemption and XMM-state self-test", run: super::tasks::selftest },
    Command { name: "programs", usage: "programs", help: "tasks in the ramdisk's manifest, and whether their modules validate", run: super::programs::run },
    Command { name: "jit", usage: "jit [speed|none]", help: "compile the sample Wasm module in the kernel", run: super::jit::run },
    Command { name: "spectest", usage: "spectest [speed|none] [guard|explicit] [NAME...]", help: "run the ramdisk's spec scripts (cargo xtask spectest --kernel)", run: super::spectest::run },
    #[cfg(feature = "test-hooks")]
    Command { name: "fault", usage: "fault pf|bp|de|df|ud|guard|ro|panic", help: "trigger a kernel fault (test build)", run: super::selftest::fault },
    Command { name: "echo", usage: "echo TEXT", help: "print `echo: TEXT` (scripts and tests sync on it)", run: echo },
    Command { name: "shutdown", usage: "shutdown", help: "power off (QEMU exits with success)", run: shutdown },
];

/// Splits a line into a command name and its arguments; `None` for a blank line.
pub fn parse(line: &str) -> Option<(&str, Vec<&str>)> {
    let mut words = line.split_whitespace();
    let name = words.next()?;
    Some((name, words.collect()))
}

/// Looks a command up by name.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Runs one console line.
pub fn execute(line: &str) -> Outcome {
    let Some((name, args)) = parse(line) else { return Outcome::Continue };
    match find(name) {
        Some(cmd) => (cmd.run)(&args),
        None => {
            kprintln!("error: unknown command '{name}' (try 'help')");
            Outcome::Continue
        }
    }
}

fn help(_: &[&str]) -> Outcome {
    kprintln!("commands:");
    for c in COMMANDS {
        kprintln!("  {:<34} {}", c.usage, c.help);
    }
    Outcome::Continue
}

fn kib(bytes: u64) -> u64 {
    bytes / 1024
}

fn mem(_: &[&str]) -> Outcome {
    // Threads that ended give their stacks back first, so the numbers are current.
    crate::sched::reap();
    let s = crate::mm::stats();
    let f = s.frames;
    kprintln!(
        "frames: {} usable ({} MiB), {} free, {} used; {} allocations, {} frees since boot",
        f.usable,
        f.usable * 4 / 1024,
        f.free,
        f.used(),
        f.allocations,
        f.frees
    );
    kprintln!(
        "heap: {} KiB mapped, {} KiB used in {} allocations, {} KiB free",
        kib(s.heap.mapped),
        kib(s.heap.used),
        s.heap.allocations,
        kib(s.heap.free)
    );
    kprintln!(
        "reservations: {} holding {} MiB of address space; {} pages mapped lazily since boot",
        s.reservations,
        s.reserved_bytes >> 20,
        s.lazy_faults
    );
    kprintln!(
        "for tasks: {} frames ({} MiB) may still be promised or mapped; {} promised to linear memories, not yet mapped; {} kept for the heap",
        s.for_tasks,
        s.for_tasks * 4 / 1024,
        s.promised,
        crate::mm::HEAP_RESERVE_FRAMES
    );
    Outcome::Continue
}

fn uptime(_: &[&str]) -> Outcome {
    kprintln!(
        "uptime: {} ms, {} ticks ({} Hz timer, TSC {} MHz)",
        crate::time::uptime_ms(),
        crate::time::ticks(),
        crate::time::TICK_HZ,
        crate::time::tsc_hz() / 1_000_000
    );
    Outcome::Continue
}

fn cpu(_: &[&str]) -> Outcome {
    let info = crate::arch::cpu::identify();
    kprintln!("vendor: {}", info.vendor);
    kprintln!("model: {} (family {:#x}, model {:#x}, stepping {})", info.brand, info.family, info.model, info.stepping);
    let mut present = alloc::string::String::new();
    let mut absent = alloc::string::String::new();
    for (name, on) in info.features.list() {
        let list = if on { &mut present } else { &mut absent };
        list.push(' ');
        list.push_str(name);
    }
    kprintln!("features:{present}");
    kprintln!("missing:{absent}");
    Outcome::Continue
}

fn echo(args: &[&str]) -> Outcome {
    kprintln!("echo: {}", args.join(" "));
    Outcome::Continue
}

fn shutdown(_: &[&str]) -> Outcome {
    kprintln!("shutting down");
    Outcome::Shutdown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_on_whitespace() {
        assert_eq!(parse("   "), None);
        let (name, args) = parse("  fault   pf  extra ").unwrap();
        assert_eq!((name, args.as_slice()), ("fault", ["pf", "extra"].as_slice()));
    }

    #[test]
    fn required_commands_exist_once() {
        for name in ["help", "mem", "uptime", "cpu", "shutdown"] {
            assert!(find(name).is_some(), "{name}");
            assert_eq!(COMMANDS.iter().filter(|c| c.name == name).count(), 1);
        }
        assert!(find("frobnicate").is_none());
    }
}

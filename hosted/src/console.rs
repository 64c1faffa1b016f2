//! The runner's console: lines from stdin, the kernel console's commands about tasks (the task
//! layer's own, so the answers are the kernel's), until `shutdown` or the end of input.
use std::io::{BufRead, IsTerminal, Write};

use hayabusa_tasks::console::{bench, tasks};

use crate::system::Hosted;

/// The prompt, as the kernel's.
pub const PROMPT: &str = "hayabusa> ";

struct Command {
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    run: fn(&[&str]),
}

const COMMANDS: &[Command] = &[
    Command { name: "help", usage: "help", help: "list commands", run: help },
    Command { name: "ps", usage: "ps", help: "list tasks", run: |_| tasks::ps::<Hosted>() },
    Command { name: "run", usage: "run NAME [ARGS]", help: "start a task of the manifest", run: tasks::run::<Hosted> },
    Command { name: "spawn", usage: "spawn N NAME [ARGS]", help: "start N tasks of NAME (load and limit tests)", run: tasks::spawn::<Hosted> },
    Command { name: "kill", usage: "kill ID|NAME", help: "end a task, or every task of that name", run: tasks::kill::<Hosted> },
    Command { name: "services", usage: "services", help: "registered services, their tasks and IPC paths", run: |_| tasks::services::<Hosted>() },
    Command { name: "bench", usage: "bench ipc [N]", help: "IPC round-trip latency, direct and switch path", run: bench_ipc },
    Command { name: "echo", usage: "echo TEXT", help: "print `echo: TEXT` (scripts and tests sync on it)", run: echo },
    Command { name: "shutdown", usage: "shutdown", help: "end the runner (exit 0)", run: |_| {} },
];

fn help(_: &[&str]) {
    println!("commands:");
    for c in COMMANDS {
        println!("  {:<34} {}", c.usage, c.help);
    }
}

fn echo(args: &[&str]) {
    println!("echo: {}", args.join(" "));
}

fn bench_ipc(args: &[&str]) {
    bench::run::<Hosted>(args, "hosted on Linux (native)");
}

/// Runs one line; false for `shutdown`.
fn execute(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else { return true };
    let args: Vec<&str> = words.collect();
    match COMMANDS.iter().find(|c| c.name == name) {
        Some(c) if c.name == "shutdown" => {
            println!("shutting down");
            return false;
        }
        Some(c) => (c.run)(&args),
        None => println!("error: unknown command '{name}' (try 'help')"),
    }
    true
}

/// Reads and runs lines until `shutdown` or the end of input. Each line read from a pipe is
/// shown after the prompt, as it appears on the kernel's serial console.
pub fn run() {
    let terminal = std::io::stdin().is_terminal();
    let mut stdin = std::io::stdin().lock();
    let mut line = String::new();
    loop {
        print!("{PROMPT}");
        let _ = std::io::stdout().flush();
        line.clear();
        match stdin.read_line(&mut line) {
            Ok(0) | Err(_) => {
                println!();
                return;
            }
            Ok(_) => {}
        }
        if !terminal {
            print!("{line}");
            if !line.ends_with('\n') {
                println!();
            }
        }
        if !execute(&line) {
            return;
        }
    }
}

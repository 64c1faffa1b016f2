//! `hayabusa-host PROGRAMS`: Hayabusa's tasks on Linux. Loads the program files of a ramdisk
//! image (the kernel's, as `cargo xtask host` packs it) or of a folder with a `manifest`, starts
//! the manifest's boot tasks with the task layer the kernel runs (`hayabusa-tasks`), then runs
//! the console's task commands on stdin/stdout until `shutdown` or the end of input; exits 0.
//! With `--rows`, it is a producer of `cargo xtask bench ipc --host` instead ([`bench`]).
mod bench;
mod console;
mod logger;
mod programs;
mod stack;
mod system;
mod tcpip;
mod threads;
mod tsc;

use std::path::PathBuf;
use std::process::ExitCode;

use system::Hosted;

const USAGE: &str = "\
usage: hayabusa-host [--tcp-port GUEST=HOST]... PROGRAMS
         PROGRAMS: a ramdisk image as `cargo xtask build` packs it (`cargo xtask host` packs one
         and runs this), or a folder holding `manifest` and the files it names;
         --tcp-port: the native tcpip binds host port HOST (on 127.0.0.1) for a listen on
         GUEST, e.g. 80=8080 (repeatable; other ports bind as they are)
       hayabusa-host --programs FOLDER --rounds N --cpus 1|2 --rows FILE
         measure `bench ipc N` pinned to 1 CPU or spread over 2, write the rows to FILE (a
         producer of `cargo xtask bench ipc --host`)";

/// What the command line asks for.
enum Mode {
    Console(PathBuf, tcpip::PortMap),
    Bench { programs: PathBuf, rounds: u32, cpus: usize, rows: PathBuf },
}

fn parse(args: &[String]) -> Option<Mode> {
    match args {
        [options @ .., path] if !path.starts_with('-') && !args.iter().any(|a| a == "--rows") => {
            let mut ports = tcpip::PortMap::default();
            let mut options = options.iter();
            while let Some(option) = options.next() {
                if option != "--tcp-port" {
                    return None;
                }
                if let Err(e) = ports.add(options.next()?) {
                    eprintln!("hayabusa-host: {e}");
                    return None;
                }
            }
            Some(Mode::Console(PathBuf::from(path), ports))
        }
        _ => {
            let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
            if args.len() != 8 {
                return None;
            }
            Some(Mode::Bench {
                programs: PathBuf::from(value("--programs")?),
                rounds: value("--rounds")?.parse().ok().filter(|n| (1..=1_000_000).contains(n))?,
                cpus: value("--cpus")?.parse().ok().filter(|n| *n == 1 || *n == 2)?,
                rows: PathBuf::from(value("--rows")?),
            })
        }
    }
}

fn main() -> ExitCode {
    system::start_clock();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let Some(mode) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    logger::init();
    let path = match &mode {
        Mode::Console(path, ports) => {
            tcpip::set_port_map(ports.clone());
            path
        }
        Mode::Bench { programs, cpus, .. } => {
            if let Err(e) = bench::pin(*cpus) {
                eprintln!("hayabusa-host: {e}");
                return ExitCode::from(1);
            }
            programs
        }
    };
    if let Err(e) = programs::load(path) {
        eprintln!("hayabusa-host: {e}");
        return ExitCode::from(1);
    }
    threads::start_notes();
    hayabusa_tasks::start_boot_tasks::<Hosted>();
    if let Mode::Bench { rounds, cpus, rows, .. } = &mode {
        let placement = if *cpus == 1 { "one CPU" } else { "two CPUs" };
        return match bench::produce(*rounds, placement, rows) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hayabusa-host: bench ipc: {e}");
                ExitCode::from(1)
            }
        };
    }
    println!("hosted: runner start to prompt in {} ms", hayabusa_tasks::uptime_ms::<Hosted>());
    console::run();
    // Tasks still running end with the process.
    ExitCode::SUCCESS
}

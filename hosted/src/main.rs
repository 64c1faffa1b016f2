//! `hayabusa-host RAMDISK`: Hayabusa's tasks on Linux. Loads the program files of a ramdisk
//! image (the kernel's, as `cargo xtask host` packs it), starts the manifest's boot tasks with
//! the task layer the kernel runs (`hayabusa-tasks`), then runs the console's task commands on
//! stdin/stdout until `shutdown` or the end of input; exits 0.
mod console;
mod logger;
mod programs;
mod stack;
mod system;
mod threads;
mod tsc;

use std::path::PathBuf;
use std::process::ExitCode;

use system::Hosted;

const USAGE: &str = "usage: hayabusa-host RAMDISK   (a ramdisk image as `cargo xtask build` packs it; `cargo xtask host` builds one and runs this)";

fn main() -> ExitCode {
    system::start_clock();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [path] => PathBuf::from(path),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    logger::init();
    if let Err(e) = programs::load(&path) {
        eprintln!("hayabusa-host: {e}");
        return ExitCode::from(1);
    }
    hayabusa_tasks::start_boot_tasks::<Hosted>();
    println!("hosted: runner start to prompt in {} ms", hayabusa_tasks::uptime_ms::<Hosted>());
    console::run();
    // Tasks still running end with the process.
    ExitCode::SUCCESS
}

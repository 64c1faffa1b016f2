//! `cargo xtask run`: build, then boot with the kernel console on our stdio.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use hayabusa_boot::{Net, Outcome, VmConfig};

use crate::options::Options;
use crate::{Failure, build};

/// Default time limit when stdin is a terminal (someone is typing) and when it is not.
const INTERACTIVE_TIMEOUT: Duration = Duration::from_secs(3600);
const PIPED_TIMEOUT: Duration = Duration::from_secs(120);

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let mut options = Options::parse(args, &["--accel", "--timeout", "--program", "--manifest", "--http-port"])?;
    if let Some(port) = options.http_port
        && std::net::TcpListener::bind(("127.0.0.1", port)).is_err()
    {
        eprintln!("xtask: port {port} is taken on 127.0.0.1: the guest's port 80 is not forwarded (--http-port PORT)");
        options.http_port = None;
    }
    let built = build::build(&options, build::Variant::Run)?;
    let tools = hayabusa_boot::ensure_tools()?;
    let accel = options.accel.resolve(&tools, &built.work_dir)?;
    let terminal = std::io::stdin().is_terminal();
    let timeout = options.timeout.unwrap_or(if terminal { INTERACTIVE_TIMEOUT } else { PIPED_TIMEOUT });
    if terminal {
        eprintln!("xtask: booting under {} (Ctrl-A X quits QEMU)", accel.qemu_name());
    } else {
        eprintln!("xtask: booting under {}", accel.qemu_name());
    }
    let config = VmConfig {
        tools,
        accel,
        image: Some(built.image),
        work_dir: built.work_dir,
        terminal,
        capture_stderr: false,
        net: Some(Net { http_port: options.http_port }),
    };
    let outcome = hayabusa_boot::run_console(&config, timeout)?;
    match outcome {
        Outcome::StoppedAtPrompt => {}
        Outcome::Timeout => eprintln!("\nxtask: {} (after {} s; see --timeout)", outcome.describe(), timeout.as_secs()),
        _ if outcome.is_success() => eprintln!("\nxtask: {}", outcome.describe()),
        _ => eprintln!("\nxtask: FAILED: {}", outcome.describe()),
    }
    Ok(ExitCode::from(outcome.exit_code()))
}

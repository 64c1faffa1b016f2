//! `cargo xtask host`: packs the ramdisk the kernel boots with (the same program files), builds
//! the hosted runner (`hosted/`, release) and runs it on that ramdisk with this terminal's
//! stdin/stdout: the kernel console's task commands, natively on Linux.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use crate::options::Options;
use crate::{Failure, build, cargo};

/// Packs the ramdisk `ramdisk-<name>.bin` and builds the runner (`release`, or the dev profile,
/// whose dependencies are optimised too); the runner's path and the ramdisk's.
pub fn prepare(options: &Options, name: &str, release: bool) -> Result<(PathBuf, PathBuf), Failure> {
    let ramdisk = build::ramdisk(options, name)?;
    let mut command = cargo::command();
    command.args(["build", "-p", "hayabusa-hosted", "--bin", "hayabusa-host"]);
    if release {
        command.arg("--release");
    }
    cargo::run(command, "building the hosted runner")?;
    let profile = if release { "release" } else { "debug" };
    Ok((cargo::target_dir()?.join(profile).join("hayabusa-host"), ramdisk))
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let options = Options::parse(args, &["--program", "--manifest", "--tcp-port"])?;
    let (runner, ramdisk) = prepare(&options, "host", true)?;
    let status = Command::new(&runner)
        .args(options.tcp_ports.iter().flat_map(|map| ["--tcp-port", map.as_str()]))
        .arg(&ramdisk)
        .status()
        .map_err(|e| Failure::Error(format!("running {}: {e}", runner.display())))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(code.clamp(1, 255) as u8),
        None => {
            eprintln!("xtask: the hosted runner was ended by a signal ({status})");
            ExitCode::FAILURE
        }
    })
}

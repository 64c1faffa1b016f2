//! `cargo xtask lint`: clippy with warnings as errors, over the kernel as it is really built
//! (`x86_64-unknown-none`, with the test hooks and the `ipc-steps` checkpoints, so that code
//! behind both features is checked too) and over every crate for the host, tests
//! included. The workspace lints (`undocumented_unsafe_blocks`, `unsafe_op_in_unsafe_fn`) are
//! only enforced by this.

use std::process::ExitCode;

use crate::options::Options;
use crate::{Failure, cargo};

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    Options::parse(args, &[])?;
    let mut kernel = cargo::command();
    kernel.args(["clippy", "-p", "hayabusa-kernel", "--target", "x86_64-unknown-none", "--features", "test-hooks ipc-steps"]);
    kernel.args(["--", "-D", "warnings"]);
    cargo::run(kernel, "clippy (kernel, x86_64-unknown-none)")?;
    let mut host = cargo::command();
    host.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    cargo::run(host, "clippy (host crates)")?;
    eprintln!("xtask: lint clean");
    Ok(ExitCode::SUCCESS)
}

//! `cargo xtask differential [--count N] [--seed S] [--opt none|speed] [--bounds guard|explicit]
//! [--fuel F] [--rounds R]`: the long differential run (wasm-smith modules here and on wasmi,
//! `kernel/compiler/differential`), built in release; its exit status is the runner's.

use crate::{Failure, cargo};
use std::process::ExitCode;

const OPTIONS: &[&str] = &["--count", "--seed", "--opt", "--bounds", "--fuel", "--rounds"];

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if !OPTIONS.contains(&a.as_str()) {
            return Err(Failure::Usage(format!("differential: unknown option {a}")));
        }
        if it.next().is_none() {
            return Err(Failure::Usage(format!("differential: {a} needs a value")));
        }
    }
    let mut command = cargo::command();
    command.args(["run", "--quiet", "--release", "-p", "hayabusa-differential", "--"]).args(args);
    let status = command.status().map_err(|e| Failure::Error(format!("cannot start cargo: {e}")))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(2) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    })
}

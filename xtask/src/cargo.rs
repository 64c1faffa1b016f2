//! Running cargo from xtask: the workspace's target directory and checked invocations.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Failure;

/// A `cargo` command, the same cargo that runs xtask.
pub fn command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `command`, failing with `what` if it does not succeed.
pub fn run(mut command: Command, what: &str) -> Result<(), Failure> {
    let status = command.status().map_err(|e| Failure::Error(format!("{what}: cannot start cargo: {e}")))?;
    if status.success() { Ok(()) } else { Err(Failure::Error(format!("{what} failed ({status})"))) }
}

/// Copies the ELF file `input` to `output` without its debug sections, with the toolchain's
/// `llvm-objcopy` (component `llvm-tools`, pinned in rust-toolchain.toml).
pub fn strip_debug_info(input: &Path, output: &Path) -> Result<(), Failure> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| Failure::Error(format!("rustc --print sysroot: {e}")))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let objcopy = sysroot.join("lib/rustlib").join(HOST_TRIPLE).join("bin/llvm-objcopy");
    if !objcopy.is_file() {
        return Err(Failure::Error(format!(
            "{} not found: install the llvm-tools component (`rustup component add llvm-tools`)",
            objcopy.display()
        )));
    }
    let status = Command::new(&objcopy)
        .arg("--strip-debug")
        .arg(input)
        .arg(output)
        .status()
        .map_err(|e| Failure::Error(format!("{}: {e}", objcopy.display())))?;
    if status.success() { Ok(()) } else { Err(Failure::Error(format!("stripping {} failed ({status})", input.display()))) }
}

/// The host triple xtask runs on (the only one the toolchain's llvm-tools are installed for).
const HOST_TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// The workspace's target directory, as cargo sees it (honours `CARGO_TARGET_DIR` and config).
pub fn target_dir() -> Result<PathBuf, Failure> {
    let output = command()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|e| Failure::Error(format!("cargo metadata: {e}")))?;
    if !output.status.success() {
        return Err(Failure::Error(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr))));
    }
    let json = String::from_utf8_lossy(&output.stdout);
    json_string_field(&json, "target_directory")
        .map(PathBuf::from)
        .ok_or_else(|| Failure::Error("cargo metadata: no target_directory".into()))
}

/// The value of the first `"key":"value"` string field in `json` (handles `\"` and `\\`).
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let mut value = String::new();
    let mut chars = json[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_field() {
        let json = r#"{"packages":[],"target_directory":"/w/t\\x\"y","version":1}"#;
        assert_eq!(super::json_string_field(json, "target_directory").as_deref(), Some("/w/t\\x\"y"));
        assert_eq!(super::json_string_field(json, "workspace_root"), None);
    }
}

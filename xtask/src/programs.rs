//! The Wasm programs for the ramdisk: builds `programs/` (release, wasm32) and `examples/hello-c`
//! (when clang is installed), and returns each module and `programs/manifest` as named files.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Failure, cargo};

/// The programs' target triple.
const TARGET: &str = "wasm32-unknown-unknown";

/// The repository root (xtask's parent folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repository").to_path_buf()
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Error(format!("reading {}: {e}", path.display())))
}

/// Builds every program; returns `(ramdisk file name, bytes)` for each module (`console.wasm`,
/// `pingpong-client.wasm`, ...) and for `manifest`. Outputs go to `<target>/programs`.
pub fn build(target: &Path) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let root = root();
    let target_dir = target.join("programs");
    let mut command = cargo::command();
    // Inside programs/ so that its .cargo/config.toml (target, stack size) applies.
    command.current_dir(root.join("programs")).args(["build", "--release", "--target-dir"]).arg(&target_dir);
    cargo::run(command, "building the Wasm programs")?;

    let out_dir = target_dir.join(TARGET).join("release");
    let entries = std::fs::read_dir(&out_dir).map_err(|e| Failure::Error(format!("reading {}: {e}", out_dir.display())))?;
    let mut files = Vec::new();
    for path in entries.filter_map(|entry| entry.ok().map(|e| e.path())) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if let Some(stem) = name.strip_suffix(".wasm") {
            // cargo writes crate `pingpong-client` as `pingpong_client.wasm`.
            files.push((format!("{}.wasm", stem.replace('_', "-")), read(&path)?));
        }
    }
    if let Some(module) = build_c_example(&root, &target_dir)? {
        files.push(("hello-c.wasm".to_string(), module));
    }
    files.sort();
    let sizes: Vec<String> = files.iter().map(|(name, bytes)| format!("{name} {} B", bytes.len())).collect();
    eprintln!("xtask: programs: {}", sizes.join(", "));
    files.push(("manifest".to_string(), read(&root.join("programs/manifest"))?));
    Ok(files)
}

/// Builds `examples/hello-c/hello.c` with clang, or returns `None` if clang or wasm-ld is missing.
fn build_c_example(root: &Path, target_dir: &Path) -> Result<Option<Vec<u8>>, Failure> {
    let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("clang") || !have("wasm-ld") {
        eprintln!("xtask: clang or wasm-ld missing (apt-get install clang lld): hello-c.wasm not built");
        return Ok(None);
    }
    let out = target_dir.join("hello-c.wasm");
    let status = Command::new("clang")
        .args(["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--export=_start"])
        .arg(format!("-I{}", root.join("wasm-abi/include").display()))
        .arg("-o")
        .arg(&out)
        .arg(root.join("examples/hello-c/hello.c"))
        .status()
        .map_err(|e| Failure::Error(format!("running clang: {e}")))?;
    if !status.success() {
        return Err(Failure::Error(format!("clang failed on examples/hello-c/hello.c ({status})")));
    }
    read(&out).map(Some)
}

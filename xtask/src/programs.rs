//! The Wasm programs for the ramdisk: builds `programs/` (release, wasm32) and `examples/hello-c`
//! (when clang is installed), and returns `programs/manifest` and every module it names.

use std::path::{Path, PathBuf};
use std::process::Command;

use hayabusa_manifest::Manifest;

use crate::{Failure, cargo};

/// The programs' target triple.
const TARGET: &str = "wasm32-unknown-unknown";
/// The one module built from C.
const C_MODULE: &str = "hello-c.wasm";

/// The repository root (xtask's parent folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repository").to_path_buf()
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Error(format!("reading {}: {e}", path.display())))
}

/// Builds every program; returns `(ramdisk file name, bytes)` for `manifest` and each module it
/// names (`console.wasm`, `pingpong-client.wasm`, ...), each once. Outputs go to `<target>/programs`.
pub fn build(target: &Path) -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let root = root();
    let text = String::from_utf8(read(&root.join("programs/manifest"))?)
        .map_err(|_| Failure::Error("programs/manifest is not UTF-8".into()))?;
    let manifest = Manifest::parse(&text).map_err(|e| Failure::Error(format!("programs/manifest: {e}")))?;

    let target_dir = target.join("programs");
    let mut command = cargo::command();
    // Inside programs/ so that its .cargo/config.toml (target, stack size, build-std) applies.
    command.current_dir(root.join("programs")).args(["build", "--release", "--target-dir"]).arg(&target_dir);
    cargo::run(command, "building the Wasm programs")?;

    let out_dir = target_dir.join(TARGET).join("release");
    let mut names: Vec<&str> = manifest.tasks().map(|task| task.file).collect();
    names.sort_unstable();
    names.dedup();
    let mut files = Vec::new();
    for name in names {
        if name == C_MODULE {
            if let Some(module) = build_c_example(&root, &target_dir)? {
                files.push((name.to_string(), module));
            }
            continue;
        }
        // cargo writes crate `pingpong-client` as `pingpong_client.wasm`.
        let built = out_dir.join(name.replace('-', "_"));
        if !built.is_file() {
            return Err(Failure::Error(format!("programs/manifest names {name}, but no program builds it")));
        }
        files.push((name.to_string(), read(&built)?));
    }
    let sizes: Vec<String> = files.iter().map(|(name, bytes)| format!("{name} {} B", bytes.len())).collect();
    eprintln!("xtask: programs: {}", sizes.join(", "));
    files.push(("manifest".to_string(), text.into_bytes()));
    Ok(files)
}

/// Builds `examples/hello-c/hello.c` with clang, or returns `None` if clang or wasm-ld is missing.
fn build_c_example(root: &Path, target_dir: &Path) -> Result<Option<Vec<u8>>, Failure> {
    let have = |tool: &str| Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !have("clang") || !have("wasm-ld") {
        eprintln!("xtask: clang or wasm-ld missing (apt-get install clang lld): {C_MODULE} not built");
        return Ok(None);
    }
    let out = target_dir.join(C_MODULE);
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

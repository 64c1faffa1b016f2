//! The C toolchain for `examples/hello-c`: clang and wasm-ld, installed with apt-get when missing
//! and we run as root (as `hayabusa_boot::ensure_tools` does for QEMU); otherwise the module is
//! left out, and said so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::Failure;

/// The Debian packages that provide `clang` and `wasm-ld`.
const PACKAGES: &str = "clang lld";

/// Whether `tool --version` runs.
fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Whether clang and wasm-ld can be used, installing them first if they are missing and we are
/// root. Checked once per xtask run; when they stay missing the reason is printed that once.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if have("clang") && have("wasm-ld") {
            return true;
        }
        let installed = hayabusa_boot::apt_install("clang or wasm-ld (for examples/hello-c)", PACKAGES);
        match installed {
            Ok(()) if have("clang") && have("wasm-ld") => true,
            Ok(()) => {
                eprintln!("xtask: NOTE: clang or wasm-ld still missing after apt-get install");
                false
            }
            Err(e) => {
                eprintln!("xtask: NOTE: {e}");
                false
            }
        }
    })
}

/// Builds `examples/hello-c/hello.c` into `<out_dir>/hello-c.wasm`, or returns `None` (after
/// saying why) when clang or wasm-ld is not available.
pub fn build_hello_c(root: &Path, out_dir: &Path) -> Result<Option<Vec<u8>>, Failure> {
    if !available() {
        eprintln!(
            "xtask: NOTE: building without hello-c.wasm (clang and wasm-ld missing): `run hello-c` \
             is not in the manifest, and the tests that need it fail"
        );
        return Ok(None);
    }
    let out: PathBuf = out_dir.join("hello-c.wasm");
    let source = root.join("examples/hello-c/hello.c");
    let status = Command::new("clang")
        .args(["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-Wl,--export=_start"])
        .arg(format!("-I{}", root.join("wasm-abi/include").display()))
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .map_err(|e| Failure::Error(format!("running clang: {e}")))?;
    if !status.success() {
        return Err(Failure::Error(format!("clang failed on {} ({status})", source.display())));
    }
    std::fs::read(&out).map(Some).map_err(|e| Failure::Error(format!("reading {}: {e}", out.display())))
}

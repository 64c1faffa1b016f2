//! The Wasm programs for the ramdisk: builds `programs/` (release, wasm32) and `examples/hello-c`
//! (see `clang.rs`), and returns every module `programs/manifest` names, with the manifest to pack.

use std::path::{Path, PathBuf};

use hayabusa_manifest::Manifest;

use crate::{Failure, cargo, clang, hostile, spin_check};

/// The programs' target triple.
const TARGET: &str = "wasm32-unknown-unknown";
/// The one module built from C, and its task.
const C_MODULE: &str = "hello-c.wasm";
const C_TASK: &str = "hello-c";

/// What [`build`] produced.
pub struct Programs {
    /// `(ramdisk file name, bytes)` of each module the manifest names, each once.
    pub modules: Vec<(String, Vec<u8>)>,
    /// The manifest to pack: `programs/manifest`, without the tasks whose module was not built.
    pub manifest: String,
    /// The modules left out (only `hello-c.wasm`, when clang is missing).
    pub skipped: Vec<&'static str>,
}

/// The repository root (xtask's parent folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repository").to_path_buf()
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Error(format!("reading {}: {e}", path.display())))
}

/// The text of `programs/manifest`, checked with the kernel's parser.
pub fn manifest() -> Result<String, Failure> {
    let text = String::from_utf8(read(&root().join("programs/manifest"))?)
        .map_err(|_| Failure::Error("programs/manifest is not UTF-8".into()))?;
    Manifest::parse(&text).map_err(|e| Failure::Error(format!("programs/manifest: {e}")))?;
    Ok(text)
}

/// Builds every program that `manifest` (the text of `programs/manifest`) names. Outputs go to
/// `<target>/programs`.
pub fn build(target: &Path, manifest: &str) -> Result<Programs, Failure> {
    let root = root();
    let parsed = Manifest::parse(manifest).map_err(|e| Failure::Error(format!("programs/manifest: {e}")))?;
    let target_dir = target.join("programs");
    let mut command = cargo::command();
    // Inside programs/ so that its .cargo/config.toml (target, stack size, build-std) applies.
    command.current_dir(root.join("programs")).args(["build", "--release", "--target-dir"]).arg(&target_dir);
    cargo::run(command, "building the Wasm programs")?;

    let out_dir = target_dir.join(TARGET).join("release");
    let mut names: Vec<&str> = parsed.tasks().map(|task| task.file).collect();
    names.sort_unstable();
    names.dedup();
    let mut programs = Programs { modules: Vec::new(), manifest: manifest.to_string(), skipped: Vec::new() };
    for name in names {
        if name == C_MODULE {
            match clang::build_hello_c(&root, &target_dir)? {
                Some(module) => programs.modules.push((name.to_string(), module)),
                None => {
                    programs.manifest = without_task(&programs.manifest, C_TASK);
                    programs.skipped.push(C_MODULE);
                }
            }
            continue;
        }
        if let Some(module) = hostile::module(&root, name) {
            programs.modules.push((name.to_string(), module?));
            continue;
        }
        // cargo writes crate `pingpong-client` as `pingpong_client.wasm`.
        let built = out_dir.join(name.replace('-', "_"));
        if !built.is_file() {
            return Err(Failure::Error(format!("programs/manifest names {name}, but no program builds it")));
        }
        let module = read(&built)?;
        if parsed.tasks().any(|t| t.file == name && t.devices.iter().any(|d| d != "serial")) {
            check_driver(name, &module)?;
        }
        programs.modules.push((name.to_string(), module));
    }
    let sizes: Vec<String> = programs.modules.iter().map(|(name, bytes)| format!("{name} {} B", bytes.len())).collect();
    eprintln!("xtask: programs: {}", sizes.join(", "));
    Ok(programs)
}

/// Refuses a device driver with a loop that cannot end once it waits (`spin_check.rs`).
fn check_driver(name: &str, module: &[u8]) -> Result<(), Failure> {
    let found = spin_check::endless_loops(module).map_err(|e| Failure::Error(format!("{name}: {e}")))?;
    if let Some((function, offset)) = found.first() {
        return Err(Failure::Error(format!(
            "{name}: function {function} has a loop at byte {offset:#x} that reads nothing it could wait on \
             (a hoisted poll: see docs/compiler.md, \"Device memory\"); {} such loop(s) in all",
            found.len()
        )));
    }
    Ok(())
}

/// `text` without the `[name]` section (its header up to the next header). Comment lines above
/// the section stay.
fn without_task(text: &str, name: &str) -> String {
    fn header(line: &str) -> Option<&str> {
        line.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')).map(str::trim)
    }
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if let Some(section) = header(line) {
            skipping = section == name;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_one_section() {
        let text = "# top\n[a]\nfile = a.wasm\n\n# about b\n[ b ]\nfile = b.wasm\nargs = 1\n[c]\nfile = c.wasm\n";
        let out = without_task(text, "b");
        assert_eq!(out, "# top\n[a]\nfile = a.wasm\n\n# about b\n[c]\nfile = c.wasm\n");
        let names: Vec<&str> = Manifest::parse(&out).unwrap().tasks().map(|t| t.name).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(without_task(text, "zz"), text);
    }

    #[test]
    fn shipped_manifest_without_hello_c() {
        let text = manifest().unwrap();
        let out = without_task(&text, C_TASK);
        let parsed = Manifest::parse(&out).unwrap();
        assert!(parsed.task(C_TASK).is_none() && parsed.task("hello").is_some());
        assert_eq!(parsed.tasks().count() + 1, Manifest::parse(&text).unwrap().tasks().count());
    }
}

//! The program files: a ramdisk image as the kernel boots with (`cargo xtask host` packs the
//! same one), read once and kept for the process's life, and its manifest.
use std::path::Path;
use std::sync::OnceLock;

use hayabusa_manifest::Manifest;
use hayabusa_ramdisk::Archive;

struct Programs {
    archive: Archive<'static>,
    manifest: Option<Manifest<'static>>,
}

static PROGRAMS: OnceLock<Programs> = OnceLock::new();

/// Loads the ramdisk image at `path`. A missing manifest, or one that does not parse, is
/// reported and leaves the runner without programs, as in the kernel; an unreadable or malformed
/// image is an error.
pub fn load(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    // Kept for the process's life: tasks and the manifest borrow from it.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let archive = Archive::parse(bytes).map_err(|e| format!("{}: not a ramdisk image: {e}", path.display()))?;
    let manifest = match archive.get("manifest").map(std::str::from_utf8) {
        None => {
            log::warn!("programs: the ramdisk has no manifest");
            None
        }
        Some(Err(e)) => {
            log::error!("programs: manifest is not UTF-8: {e}");
            None
        }
        Some(Ok(text)) => match Manifest::parse(text) {
            Ok(m) => Some(m),
            Err(e) => {
                log::error!("programs: manifest: {e}");
                None
            }
        },
    };
    if let Some(m) = &manifest {
        let (tasks, at_boot) = m.tasks().fold((0, 0), |(n, b), t| (n + 1, b + usize::from(t.boot)));
        log::info!("programs: manifest lists {tasks} tasks ({at_boot} marked boot = yes)");
        for task in m.tasks() {
            if archive.get(task.file).is_none() {
                log::warn!("programs: task {} needs {}, which the ramdisk does not hold", task.name, task.file);
            }
        }
    }
    PROGRAMS.set(Programs { archive, manifest }).map_err(|_| "programs loaded twice".to_string())
}

/// The parsed manifest, if the ramdisk has a valid one.
pub fn manifest() -> Option<&'static Manifest<'static>> {
    PROGRAMS.get()?.manifest.as_ref()
}

/// The bytes of file `name` of the ramdisk.
pub fn file(name: &str) -> Option<&'static [u8]> {
    PROGRAMS.get()?.archive.get(name)
}

//! The program files: a ramdisk image as the kernel boots with (`cargo xtask host` packs the
//! same one), or a folder holding `manifest` and the files it names; read once and kept for the
//! process's life, with the parsed manifest.
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use hayabusa_manifest::Manifest;
use hayabusa_ramdisk::Archive;

/// Where the files are.
enum Files {
    Image(Archive<'static>),
    Folder(HashMap<String, &'static [u8]>),
}

impl Files {
    fn get(&self, name: &str) -> Option<&'static [u8]> {
        match self {
            Files::Image(archive) => archive.get(name),
            Files::Folder(files) => files.get(name).copied(),
        }
    }
}

struct Programs {
    files: Files,
    manifest: Option<Manifest<'static>>,
}

static PROGRAMS: OnceLock<Programs> = OnceLock::new();

/// Bytes kept for the process's life: tasks and the manifest borrow from them.
fn keep(bytes: Vec<u8>) -> &'static [u8] {
    Box::leak(bytes.into_boxed_slice())
}

/// The regular files of folder `path`, by name.
fn folder(path: &Path) -> Result<Files, String> {
    let entries = std::fs::read_dir(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut files = HashMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("reading {}: {e}", path.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let bytes = std::fs::read(entry.path()).map_err(|e| format!("reading {}: {e}", entry.path().display()))?;
            files.insert(entry.file_name().to_string_lossy().into_owned(), keep(bytes));
        }
    }
    Ok(Files::Folder(files))
}

/// Loads the ramdisk image or folder at `path`. A missing manifest, or one that does not parse,
/// is reported and leaves the runner without programs, as in the kernel; an unreadable path or a
/// malformed image is an error.
pub fn load(path: &Path) -> Result<(), String> {
    let files = if path.is_dir() {
        folder(path)?
    } else {
        let bytes = keep(std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?);
        Files::Image(Archive::parse(bytes).map_err(|e| format!("{}: not a ramdisk image: {e}", path.display()))?)
    };
    let manifest = match files.get("manifest").map(std::str::from_utf8) {
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
        log::info!("programs: manifest lists {tasks} tasks ({at_boot} marked to boot)");
        for task in m.tasks() {
            if files.get(task.file).is_none() {
                log::warn!("programs: task {} needs {}, which the ramdisk does not hold", task.name, task.file);
            }
        }
    }
    PROGRAMS.set(Programs { files, manifest }).map_err(|_| "programs loaded twice".to_string())
}

/// The parsed manifest, if the ramdisk has a valid one.
pub fn manifest() -> Option<&'static Manifest<'static>> {
    PROGRAMS.get()?.manifest.as_ref()
}

/// The bytes of file `name` of the ramdisk.
pub fn file(name: &str) -> Option<&'static [u8]> {
    PROGRAMS.get()?.files.get(name)
}

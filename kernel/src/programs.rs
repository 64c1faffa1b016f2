//! The programs of the boot ramdisk: its `manifest` (which tasks exist, what each may reach),
//! checked at boot against the module files the ramdisk holds. Starting them as tasks is the
//! task layer's job; this module only says what is there and whether it can be loaded.
use hayabusa_manifest::{Manifest, Task};
use spin::Once;

use crate::ramdisk;

static MANIFEST: Once<Option<Manifest<'static>>> = Once::new();

/// Parses the ramdisk's manifest once and logs what it lists. A missing or invalid manifest is
/// reported and leaves the kernel without programs; it never stops the boot.
pub fn init() {
    MANIFEST.call_once(|| {
        let rd = ramdisk::get()?;
        let Some(bytes) = rd.get("manifest") else {
            log::warn!("programs: the ramdisk has no manifest");
            return None;
        };
        let text = match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                log::error!("programs: manifest is not UTF-8: {e}");
                return None;
            }
        };
        let manifest = match Manifest::parse(text) {
            Ok(m) => m,
            Err(e) => {
                log::error!("programs: manifest: {e}");
                return None;
            }
        };
        let (tasks, at_boot) = manifest.tasks().fold((0, 0), |(n, b), t| (n + 1, b + usize::from(t.boot)));
        log::info!("programs: manifest lists {tasks} tasks ({at_boot} marked to boot)");
        for task in manifest.tasks() {
            if rd.get(task.file).is_none() {
                log::warn!("programs: task {} needs {}, which the ramdisk does not hold", task.name, task.file);
            }
        }
        Some(manifest)
    });
}

/// The parsed manifest, if the ramdisk has a valid one.
pub fn manifest() -> Option<&'static Manifest<'static>> {
    MANIFEST.get()?.as_ref()
}

/// The module bytes of `task`, if the ramdisk holds its file.
pub fn module(task: &Task) -> Option<&'static [u8]> {
    ramdisk::get()?.get(task.file)
}

//! Builds the UEFI disk image (bootloader + kernel ELF + ramdisk) and packs the ramdisk.

use std::fs;
use std::path::Path;

use bootloader::{BootConfig, UefiBoot};
use bootloader_boot_config::LevelFilter;

use crate::error::Error;

/// Packs `files` into a `hayabusa-ramdisk` archive at `out`.
pub fn write_ramdisk(files: &[(&str, &[u8])], out: &Path) -> Result<(), Error> {
    let bytes = hayabusa_ramdisk::pack(files).map_err(|e| Error::new(format!("packing ramdisk: {e}")))?;
    fs::write(out, bytes).map_err(|e| Error::io(format_args!("writing {}", out.display()), e))
}

/// Writes a GPT disk image that boots `kernel` (an ELF) with `ramdisk` through UEFI.
///
/// The bootloader logs only warnings and errors, and only to serial: its framebuffer log is slow
/// under TCG and its info lines would drown the kernel's boot log.
pub fn build_image(kernel: &Path, ramdisk: &Path, out: &Path) -> Result<(), Error> {
    for input in [kernel, ramdisk] {
        if !input.is_file() {
            return Err(Error::new(format!("image input {} does not exist", input.display())));
        }
    }
    let mut config = BootConfig::default();
    config.frame_buffer_logging = false;
    config.serial_logging = true;
    config.log_level = LevelFilter::Warn;
    let mut boot = UefiBoot::new(kernel);
    boot.set_ramdisk(ramdisk).set_boot_config(&config);
    boot.create_disk_image(out)
        .map_err(|e| Error::new(format!("creating UEFI image {}: {e:#}", out.display())))
}

//! The boot ramdisk as the kernel sees it: the archive the bootloader loaded, parsed once.
use hayabusa_ramdisk::Archive;
use spin::Once;

static RAMDISK: Once<Option<Archive<'static>>> = Once::new();

/// Parses the ramdisk at boot. A missing or corrupt ramdisk is logged, not fatal.
pub fn init(bytes: Option<&'static [u8]>) {
    RAMDISK.call_once(|| {
        let bytes = bytes?;
        match Archive::parse(bytes) {
            Ok(archive) => Some(archive),
            Err(e) => {
                log::error!("ramdisk: {e}");
                None
            }
        }
    });
}

/// The parsed ramdisk, if there is a valid one.
pub fn get() -> Option<&'static Archive<'static>> {
    RAMDISK.get()?.as_ref()
}

//! Leaving QEMU through the `isa-debug-exit` device at port 0xf4: a written value `v` becomes
//! the exit status `(v << 1) | 1`, so success is 33 and failure 35 (a triple fault exits 0).
use ::x86_64::instructions::port::Port;

const DEBUG_EXIT_PORT: u16 = 0xf4;
/// Written for a clean shutdown (QEMU exit status 33).
pub const EXIT_SUCCESS: u32 = 0x10;
/// Written when the kernel stops on a fatal error (QEMU exit status 35).
pub const EXIT_FAILURE: u32 = 0x11;

fn exit(code: u32) {
    let mut port = Port::<u32>::new(DEBUG_EXIT_PORT);
    // SAFETY: port 0xf4 is QEMU's debug-exit device (or nothing, on other machines); writing it
    // has no effect on memory.
    unsafe { port.write(code) };
}

/// Ends the QEMU session with status 33. On a machine without the device, returns.
pub fn exit_success() {
    exit(EXIT_SUCCESS);
}

/// Ends the QEMU session with status 35. On a machine without the device, returns.
pub fn exit_failure() {
    exit(EXIT_FAILURE);
}

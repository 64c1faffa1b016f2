//! The panic handler: prints the message and location, then stops QEMU with a failure code.
#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write;

    use crate::arch::{cpu, qemu, serial};
    let mut out = serial::emergency_writer();
    match info.location() {
        Some(loc) => {
            let _ = writeln!(out, "\n!!! kernel panic at {}:{}:{}: {}", loc.file(), loc.line(), loc.column(), info.message());
        }
        None => {
            let _ = writeln!(out, "\n!!! kernel panic: {}", info.message());
        }
    }
    let _ = writeln!(out, "!!! kernel stopped: panic");
    qemu::exit_failure();
    cpu::halt_forever()
}

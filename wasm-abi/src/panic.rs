//! The panic handler of every program: report the location on the console, then trap.

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

/// Set while reporting, so a panic inside the console client does not recurse.
static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    if !PANICKING.swap(true, Ordering::Relaxed) {
        let mut line = crate::console::Line::new();
        line.str("panic");
        if let Some(at) = info.location() {
            line.str(" at ").str(at.file()).str(":").int(at.line());
        }
        line.print();
    }
    core::arch::wasm32::unreachable()
}

//! The panic handler of debug builds: report the location on the console, then trap.
//!
//! Release builds of `programs/` use `panic = "immediate-abort"`: a panic is an `unreachable`
//! trap in place and never reaches this handler.

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

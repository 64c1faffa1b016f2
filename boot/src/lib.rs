//! Host side of booting Hayabusa: disk image, QEMU + OVMF, accelerator choice, serial sessions.

#![forbid(unsafe_code)]

mod accel;
mod console;
mod error;
mod image;
mod install;
mod outcome;
mod qemu;
mod serial;
mod session;

pub use accel::{Accel, AccelChoice};
pub use console::run_console;
pub use error::Error;
pub use image::{build_image, write_ramdisk};
pub use install::{Tools, apt_install, ensure_tools};
pub use outcome::Outcome;
pub use qemu::{Net, Vm, VmConfig};
pub use session::{Session, SessionError};

/// The kernel's console prompt; input is only sent after it appears.
pub const PROMPT: &str = "hayabusa> ";
/// The start of the kernel's banner line: everything before it is firmware output.
pub const BANNER: &str = "Hayabusa";

//! The kernel console on the serial line: prompt, line editing, and built-in commands.
pub mod bench;
pub mod commands;
pub mod jit;
pub mod line;
pub mod programs;
pub mod ring;
pub mod shell;
pub mod spectest;
pub mod selftest;
pub mod tasks;

/// Prints to the serial console.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => { $crate::arch::serial::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the serial console.
#[macro_export]
macro_rules! kprintln {
    () => { $crate::kprint!("\n") };
    ($($arg:tt)*) => { $crate::arch::serial::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}

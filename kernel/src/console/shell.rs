//! The console loop: prompt, read a line, run it, until `shutdown`.
use super::commands::{self, Outcome};
use super::line::LineEditor;
use crate::arch::serial;
use crate::kprint;

/// The prompt the console prints (tests and `cargo xtask run` wait for it).
pub const PROMPT: &str = "hayabusa> ";

/// Runs the console until a command asks for shutdown.
pub fn run() {
    let mut editor = LineEditor::new();
    loop {
        kprint!("{PROMPT}");
        let line = loop {
            let byte = wait_byte();
            let mut echo = |bytes: &[u8]| serial::write_raw(bytes);
            if let Some(line) = editor.feed(byte, &mut echo) {
                break line;
            }
        };
        if commands::execute(&line) == Outcome::Shutdown {
            return;
        }
    }
}

/// The next input byte. While none is there, other ready threads run; with none, the CPU
/// sleeps until the next interrupt (a key arriving between the check and the `hlt` waits at
/// most one timer tick).
fn wait_byte() -> u8 {
    loop {
        if let Some(byte) = serial::read_byte() {
            return byte;
        }
        if crate::sched::others_ready() {
            crate::sched::yield_now();
        } else {
            x86_64::instructions::interrupts::enable_and_hlt();
        }
    }
}

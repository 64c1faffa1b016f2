//! The console service: prints WRITE payloads on the serial console and reads lines for READ_LINE.
//!
//! It owns no device itself: its manifest entry grants `device = serial`, and it forwards to the
//! kernel's SERIAL_WRITE and SERIAL_READ requests. One request at a time: a client waiting in
//! READ_LINE holds the console until its line is complete.

#![no_std]
#![forbid(unsafe_code)]

use core::sync::atomic::{AtomicBool, Ordering};

use hayabusa_abi::console::{Edit, Editor, READ_LINE, WRITE};
use hayabusa_abi::{Error, MAX_PAYLOAD, Message, TaskId, call, kernel, names};

hayabusa_abi::serve!(name = names::CONSOLE, handler = handle);

/// The last line ended with CR, so an LF arriving first belongs to it.
static AFTER_CR: AtomicBool = AtomicBool::new(false);

fn handle(_sender: TaskId, msg: &mut Message) -> Result<(), Error> {
    match msg.kind() {
        WRITE => {
            // Forward in place: same payload, the kernel's kind.
            msg.set_kind(kernel::SERIAL_WRITE);
            call(TaskId::KERNEL, msg)?;
            msg.reset(WRITE);
            Ok(())
        }
        READ_LINE => read_line(msg),
        _ => Err(Error::Unsupported),
    }
}

/// Reads bytes one at a time (so no type-ahead is lost), echoing edits, until a line end.
fn read_line(msg: &mut Message) -> Result<(), Error> {
    let max = msg.u32_at(0).map_or(MAX_PAYLOAD, |max| max as usize);
    let mut editor = Editor::new(max, AFTER_CR.load(Ordering::Relaxed));
    let mut input = Message::new(0);
    loop {
        let bytes = kernel::serial_read(&mut input, 1)?;
        let Some(&byte) = bytes.first() else { continue };
        match editor.feed(byte) {
            Edit::Ignore => {}
            Edit::Echo(byte) => kernel::serial_write(&[byte])?,
            Edit::Erase => kernel::serial_write(b"\x08 \x08")?,
            Edit::Done => break,
        }
    }
    kernel::serial_write(b"\n")?;
    AFTER_CR.store(editor.ended_with_cr(), Ordering::Relaxed);
    msg.reset(READ_LINE);
    msg.set_payload(editor.line())
}

//! Console client: sends WRITE messages to the console service, whose task id is looked up once.

use core::sync::atomic::{AtomicI32, Ordering};

use crate::{Error, Message, TaskId, call, lookup, names};

/// The console's task id once looked up (0: not yet, or it went away).
static CONSOLE: AtomicI32 = AtomicI32::new(0);

fn console() -> Result<TaskId, Error> {
    if let Some(task) = TaskId::new(CONSOLE.load(Ordering::Relaxed)) {
        return Ok(task);
    }
    let task = lookup(names::CONSOLE)?;
    CONSOLE.store(task.get(), Ordering::Relaxed);
    Ok(task)
}

/// Sends `msg` to the console, looking it up again once if the cached task is gone (restarted).
pub(super) fn send(msg: &mut Message) -> Result<(), Error> {
    match call(console()?, msg) {
        Err(Error::NoSuchTask | Error::PeerDied) => {
            CONSOLE.store(0, Ordering::Relaxed);
            call(console()?, msg)
        }
        result => result,
    }
}

/// Prints `bytes` through the console service, in `MAX_PAYLOAD` pieces.
pub fn write(bytes: &[u8]) -> Result<(), Error> {
    let mut msg = Message::new(super::WRITE);
    for chunk in bytes.chunks(crate::MAX_PAYLOAD) {
        msg.reset(super::WRITE);
        msg.set_payload(chunk)?;
        send(&mut msg)?;
    }
    Ok(())
}

/// Prints `text`; errors are ignored (use [`write`] to see them).
pub fn print(text: &str) {
    let _ = write(text.as_bytes());
}

/// Prints `text` and a line end in one message (when it fits).
pub fn println(text: &str) {
    super::Line::new().str(text).print();
}

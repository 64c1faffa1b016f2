//! Servers: the message buffer of the direct path, the handler entry, the recv/reply loop.
//!
//! A handler is a plain `fn(sender, &mut Message) -> Result<(), Error>`: it reads the request
//! and writes the reply in the same message. The [`serve!`](crate::serve) macro exports it twice:
//! `hayabusa_msg_buffer`/`hayabusa_handle` for the direct path, and `_start`, which registers the
//! service and answers through `ipc_recv`/`ipc_reply` (the switch path).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::{Error, Message, OK, TaskId};

/// A server's request handler.
pub type Handler = fn(TaskId, &mut Message) -> Result<(), Error>;

/// The message buffer the kernel copies direct-path requests into, with a guard so the handler
/// gets the only reference to it: a re-entered handler gets `BUSY` instead.
pub struct Mailbox {
    busy: AtomicBool,
    msg: UnsafeCell<Message>,
}

// SAFETY: the message is only reached through `with`, which hands out one `&mut` at a time,
// guarded by the atomic `busy` flag (wasm32 programs are single-threaded besides).
unsafe impl Sync for Mailbox {}

/// The program's mailbox, used by the exports `serve!` generates.
pub static MAILBOX: Mailbox = Mailbox::new();

impl Mailbox {
    pub const fn new() -> Mailbox {
        Mailbox { busy: AtomicBool::new(false), msg: UnsafeCell::new(Message::new(0)) }
    }

    /// Runs `f` on the message, or fails with `BUSY` while another `with` is running.
    pub fn with<R>(&self, f: impl FnOnce(&mut Message) -> R) -> Result<R, Error> {
        if self.busy.swap(true, Ordering::Acquire) {
            return Err(Error::Busy);
        }
        // SAFETY: `busy` was false and is ours until the store below, so no other reference to
        // the message exists; the kernel writes the buffer only between calls (docs/abi.md).
        let result = f(unsafe { &mut *self.msg.get() });
        self.busy.store(false, Ordering::Release);
        Ok(result)
    }

    /// The buffer's address in linear memory (`hayabusa_msg_buffer`).
    pub fn address(&self) -> usize {
        self.msg.get() as usize
    }

    /// The direct path (`hayabusa_handle`): the kernel has copied a request from `sender` into the
    /// buffer; runs `handler` on it and returns 0 (reply in the buffer) or a negative error.
    pub fn handle(&self, sender: i32, handler: Handler) -> i32 {
        let Some(sender) = TaskId::new(sender) else { return Error::BadArgument.code() };
        let result = self.with(|msg| {
            msg.set_sender(sender);
            handler(sender, msg)
        });
        match result {
            Ok(Ok(())) => OK,
            Ok(Err(e)) | Err(e) => e.code(),
        }
    }
}

impl Default for Mailbox {
    fn default() -> Mailbox {
        Mailbox::new()
    }
}

/// The switch path: registers `name` with the kernel, then answers requests forever with
/// `handler`, in a buffer of its own. A handler error becomes an error reply
/// ([`Message::set_error`]). Exits with the error code if registration or `recv` fails.
#[cfg(target_arch = "wasm32")]
pub fn run(name: &str, handler: Handler) -> ! {
    if let Err(e) = crate::kernel::register(name) {
        crate::console::Line::new().str("serve: cannot register ").str(name).str(": ").error(e).print();
        crate::kernel::exit(e.code());
    }
    let mut msg = Message::new(0);
    loop {
        let sender = match crate::recv(None, &mut msg) {
            Ok(sender) => sender,
            // Receiving from anyone into a valid buffer cannot fail: stop rather than spin.
            Err(e) => {
                crate::console::Line::new().str("serve: ").str(name).str(": recv failed: ").error(e).print();
                crate::kernel::exit(e.code());
            }
        };
        // Notifications are not calls: nobody waits for an answer.
        if sender == TaskId::KERNEL && msg.kind() == crate::kernel::NOTIFICATION {
            msg.reset(0);
            continue;
        }
        if let Err(e) = handler(sender, &mut msg) {
            msg.set_error(e);
        }
        // NOT_WAITING or NO_SUCH_TASK: the caller was killed meanwhile; nothing to do.
        let _ = crate::reply(sender, &msg);
        msg.reset(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_upper(sender: TaskId, msg: &mut Message) -> Result<(), Error> {
        match msg.kind() {
            1 => {
                let mut reply = [0u8; 64];
                let text = msg.payload();
                reply[..text.len()].copy_from_slice(text);
                reply[..text.len()].make_ascii_uppercase();
                reply[text.len()] = sender.get() as u8;
                let n = text.len() + 1;
                msg.set_payload(&reply[..n])
            }
            _ => Err(Error::Unsupported),
        }
    }

    #[test]
    fn direct_path_runs_the_handler_in_place() {
        let mailbox = Mailbox::new();
        mailbox.with(|msg| *msg = Message::with_payload(1, b"ping").unwrap()).unwrap();
        assert_eq!(mailbox.handle(7, echo_upper), OK);
        mailbox
            .with(|msg| {
                assert_eq!(msg.payload(), b"PING\x07");
                assert_eq!(msg.sender(), TaskId::new(7));
            })
            .unwrap();
    }

    #[test]
    fn handler_errors_and_bad_senders_become_codes() {
        let mailbox = Mailbox::new();
        mailbox.with(|msg| msg.reset(9)).unwrap();
        assert_eq!(mailbox.handle(3, echo_upper), Error::Unsupported.code());
        assert_eq!(mailbox.handle(0, echo_upper), Error::BadArgument.code());
    }

    #[test]
    fn reentry_is_busy() {
        let mailbox = Mailbox::new();
        let inner = mailbox.with(|_| mailbox.handle(2, echo_upper)).unwrap();
        assert_eq!(inner, Error::Busy.code());
        assert_eq!(mailbox.with(|_| ()), Ok(()), "the guard is released");
    }
}

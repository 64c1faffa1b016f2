//! Requests to the kernel, task 1: kind numbers and (on wasm32) client helpers.
//!
//! Any task may send REGISTER, UPTIME, EXIT and ARGS; SERIAL_WRITE and SERIAL_READ need
//! `device = serial` in the task's manifest entry (the console service has it).

/// Registers the caller under the service name in the payload (1–32 bytes). `DENIED` unless the
/// caller's manifest entry `provides` that name; `BUSY` if a live task holds it.
pub const REGISTER: u32 = 1;
/// Reply payload: the time since boot in nanoseconds, `u64` little-endian.
pub const UPTIME: u32 = 2;
/// Ends the caller with the exit code in the payload (`i32` little-endian, optional: 0). No reply.
pub const EXIT: u32 = 3;
/// Reply payload: the task's argument string (manifest `args`, or the console's `run NAME ARGS`).
pub const ARGS: u32 = 4;
/// Writes the payload bytes to the serial console.
pub const SERIAL_WRITE: u32 = 5;
/// Blocks until serial input is available; reply payload: 1 or more input bytes. The request
/// payload may hold a `u32` maximum (default and cap: `MAX_PAYLOAD`).
pub const SERIAL_READ: u32 = 6;

#[cfg(target_arch = "wasm32")]
pub use client::*;

#[cfg(target_arch = "wasm32")]
mod client {
    use crate::{Error, MAX_PAYLOAD, Message, TaskId, call};

    /// Registers the calling task as the service `name`.
    pub fn register(name: &str) -> Result<(), Error> {
        call(TaskId::KERNEL, &mut Message::with_payload(super::REGISTER, name.as_bytes())?)
    }

    /// Nanoseconds since boot.
    pub fn uptime_ns() -> Result<u64, Error> {
        let mut msg = Message::new(super::UPTIME);
        call(TaskId::KERNEL, &mut msg)?;
        msg.u64_at(0).ok_or(Error::BadArgument)
    }

    /// Ends this task with `code`. Traps (`unreachable`) should the kernel ever return.
    pub fn exit(code: i32) -> ! {
        if let Ok(mut msg) = Message::with_payload(super::EXIT, &code.to_le_bytes()) {
            let _ = call(TaskId::KERNEL, &mut msg);
        }
        core::arch::wasm32::unreachable()
    }

    /// This task's argument string, read into `msg`.
    pub fn args(msg: &mut Message) -> Result<&[u8], Error> {
        msg.reset(super::ARGS);
        call(TaskId::KERNEL, msg)?;
        Ok(msg.payload())
    }

    /// Writes `bytes` to the serial console (in `MAX_PAYLOAD` pieces).
    pub fn serial_write(bytes: &[u8]) -> Result<(), Error> {
        let mut msg = Message::new(super::SERIAL_WRITE);
        for chunk in bytes.chunks(MAX_PAYLOAD) {
            msg.reset(super::SERIAL_WRITE);
            msg.set_payload(chunk)?;
            call(TaskId::KERNEL, &mut msg)?;
        }
        Ok(())
    }

    /// Waits for serial input and returns up to `max` bytes of it, read into `msg`.
    pub fn serial_read(msg: &mut Message, max: u32) -> Result<&[u8], Error> {
        msg.reset(super::SERIAL_READ);
        msg.set_payload(&max.to_le_bytes())?;
        call(TaskId::KERNEL, msg)?;
        Ok(msg.payload())
    }
}

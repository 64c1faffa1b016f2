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

/// Posts notification bits to a task: payload `i32` task id, `u32` bits (not 0). Allowed between
/// a client and a server in either direction: the target may call the caller or the caller may
/// call the target (the live provider of a service in the other's `reach`). Does not block.
pub const NOTIFY: u32 = 7;
/// Arms the caller's timer: payload `u64` nanoseconds from now (0 disarms). When it expires the
/// caller gets [`TIMER_BIT`]. One timer per task; a new request replaces the old one.
pub const TIMER: u32 = 8;

/// Opens the device named in the payload (e.g. `virtio-net`), which the caller's manifest entry
/// must grant (`device = NAME`); one holder at a time (`BUSY`), released when it ends. Reply:
/// `u32` handle, `u16` vendor, `u16` device id, `u32` interrupt line (GSI, `u32::MAX`: none),
/// `u32` pin, then for each of the 6 BARs `u64` physical address, `u64` size, `u32` kind (0
/// none, 1 I/O, 2 32-bit memory, 3 64-bit memory), `u32` 0.
pub const DEVICE_OPEN: u32 = 9;
/// Reads or writes the opened device's PCI configuration header: payload `u32` handle, offset,
/// width (1, 2, 4), write (0/1), value; reply `u32` value read (empty for a write). BAR
/// registers are never written: an all-ones write makes the next read give the size mask.
pub const PCI_CONFIG: u32 = 10;
/// Maps into the caller's linear memory at a page-aligned address (grown beforehand): payload
/// `u32` handle, what (a BAR index, or `u32::MAX` for DMA frames), address, pages (DMA: 1..=256,
/// at most 1024 per grant). A BAR is mapped whole, uncached. Reply: `u64` physical address.
pub const DEVICE_MAP: u32 = 11;
/// Unmasks the device's interrupt line after its driver served it: payload `u32` handle. Each
/// interrupt masks the line and posts [`IRQ_BIT`].
pub const IRQ_ACK: u32 = 12;

/// Kind of the message `ipc_recv` returns from task 1 when notifications are pending: payload
/// `u32`, every pending bit (then cleared). No reply is expected.
pub const NOTIFICATION: u32 = 1;
/// Notification bit: the task's TIMER expired.
pub const TIMER_BIT: u32 = 1 << 31;
/// Notification bit: the task's device interrupted (see the device requests).
pub const IRQ_BIT: u32 = 1 << 30;

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

    /// Posts notification `bits` to `task` (see [`super::NOTIFY`]).
    pub fn notify(task: TaskId, bits: u32) -> Result<(), Error> {
        let mut payload = [0; 8];
        payload[..4].copy_from_slice(&task.get().to_le_bytes());
        payload[4..].copy_from_slice(&bits.to_le_bytes());
        call(TaskId::KERNEL, &mut Message::with_payload(super::NOTIFY, &payload)?)
    }

    /// Arms this task's timer to fire in `ns` nanoseconds (0: disarms it).
    pub fn set_timer(ns: u64) -> Result<(), Error> {
        call(TaskId::KERNEL, &mut Message::with_payload(super::TIMER, &ns.to_le_bytes())?)
    }

    /// Waits for serial input and returns up to `max` bytes of it, read into `msg`.
    pub fn serial_read(msg: &mut Message, max: u32) -> Result<&[u8], Error> {
        msg.reset(super::SERIAL_READ);
        msg.set_payload(&max.to_le_bytes())?;
        call(TaskId::KERNEL, msg)?;
        Ok(msg.payload())
    }
}

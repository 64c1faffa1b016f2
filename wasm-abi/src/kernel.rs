//! Requests to the kernel, task 1: kind numbers and (on wasm32) client helpers.
//!
//! Any task may send REGISTER, UPTIME, EXIT and ARGS; SERIAL_WRITE and SERIAL_READ need
//! `device = serial` in the task's manifest entry (the console service has it); TASKS needs
//! `tasks = yes`, READ_FILE a `files` prefix of the file's name.

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

/// Lists the task table, in id order. Payload: optional `i32 after` (list tasks with larger
/// ids; default 0). Reply: as many [`TaskRecord`]s as fit; call again with the last id until
/// the reply is empty. Needs `tasks = yes`.
pub const TASKS: u32 = 13;
/// Reads a ramdisk file. Payload: `u64 offset`, then the file name. Reply: `u64 size` (the
/// whole file's), then the bytes from `offset` (at most [`READ_FILE_CHUNK`]; none at or past the
/// end). `NOT_FOUND`: no such file; `DENIED` unless a `files` prefix matches the name.
pub const READ_FILE: u32 = 14;

/// The most file bytes one READ_FILE reply carries.
pub const READ_FILE_CHUNK: usize = crate::MAX_PAYLOAD - 8;

/// The states of a [`TaskRecord`], by number (as `ps` shows them).
pub const TASK_STATES: [&str; 7] = ["running", "recv", "call", "serving", "blocked", "starting", "ending"];

/// One task of a TASKS reply: `i32 id, u32 memory_pages, u32 code_bytes, u8 state,
/// u8 name_len, u8 service_len, u8 0`, then the name and the service it registered (if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskRecord<'a> {
    pub id: i32,
    /// 64 KiB pages of linear memory.
    pub memory_pages: u32,
    /// Bytes of compiled code (0 for a native task).
    pub code_bytes: u32,
    /// An index into [`TASK_STATES`].
    pub state: u8,
    pub name: &'a [u8],
    /// The service it registered (empty: none).
    pub service: &'a [u8],
}

impl TaskRecord<'_> {
    /// Size of the fixed part.
    pub const HEADER: usize = 16;

    /// Encoded length.
    pub fn len(&self) -> usize {
        Self::HEADER + self.name.len() + self.service.len()
    }

    /// Never empty (the fixed part); for clippy.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the record to `out` (name and service cut to 255 bytes).
    pub fn encode(&self, out: &mut impl Extend<u8>) {
        let (name, service) = (&self.name[..self.name.len().min(255)], &self.service[..self.service.len().min(255)]);
        out.extend(self.id.to_le_bytes());
        out.extend(self.memory_pages.to_le_bytes());
        out.extend(self.code_bytes.to_le_bytes());
        out.extend([self.state, name.len() as u8, service.len() as u8, 0]);
        out.extend(name.iter().copied());
        out.extend(service.iter().copied());
    }

    /// The state's name (`"?"` for an unknown number).
    pub fn state_name(&self) -> &'static str {
        TASK_STATES.get(usize::from(self.state)).copied().unwrap_or("?")
    }
}

/// The records of a TASKS reply payload; stops at the first malformed one.
pub fn task_records(mut bytes: &[u8]) -> impl Iterator<Item = TaskRecord<'_>> {
    core::iter::from_fn(move || {
        let head = bytes.get(..TaskRecord::HEADER)?;
        let word = |at: usize| [head[at], head[at + 1], head[at + 2], head[at + 3]];
        let (name_len, service_len) = (usize::from(head[13]), usize::from(head[14]));
        let rest = bytes.get(TaskRecord::HEADER..TaskRecord::HEADER + name_len + service_len)?;
        let record = TaskRecord {
            id: i32::from_le_bytes(word(0)),
            memory_pages: u32::from_le_bytes(word(4)),
            code_bytes: u32::from_le_bytes(word(8)),
            state: head[12],
            name: &rest[..name_len],
            service: &rest[name_len..],
        };
        bytes = &bytes[TaskRecord::HEADER + name_len + service_len..];
        Some(record)
    })
}

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

    /// Tasks with ids above `after`, read into `msg`: the reply payload, for [`task_records`](super::task_records).
    pub fn tasks(msg: &mut Message, after: i32) -> Result<&[u8], Error> {
        msg.reset(super::TASKS);
        msg.set_payload(&after.to_le_bytes())?;
        call(TaskId::KERNEL, msg)?;
        Ok(msg.payload())
    }

    /// Reads ramdisk file `name` from `offset` into `msg`: the file's size and the bytes read
    /// (at most [`READ_FILE_CHUNK`](super::READ_FILE_CHUNK); none at the end).
    pub fn read_file<'m>(msg: &'m mut Message, name: &[u8], offset: u64) -> Result<(u64, &'m [u8]), Error> {
        msg.reset(super::READ_FILE);
        msg.set_payload(&offset.to_le_bytes())?;
        msg.push(name)?;
        call(TaskId::KERNEL, msg)?;
        let size = msg.u64_at(0).ok_or(Error::BadReply)?;
        Ok((size, &msg.payload()[8..]))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_records_round_trip() {
        let a = TaskRecord { id: 2, memory_pages: 17, code_bytes: 4096, state: 1, name: b"console", service: b"console" };
        let b = TaskRecord { id: 9, memory_pages: 0, code_bytes: 0, state: 4, name: b"http", service: b"" };
        let mut bytes = Vec::new();
        a.encode(&mut bytes);
        b.encode(&mut bytes);
        assert_eq!(bytes.len(), a.len() + b.len());
        assert_eq!(task_records(&bytes).collect::<Vec<_>>(), [a, b]);
        assert_eq!(b.state_name(), "blocked");
        assert_eq!(task_records(&bytes[..bytes.len() - 1]).count(), 1, "a cut record is not read");
    }
}

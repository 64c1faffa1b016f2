//! Requests to task 1, the kernel (`docs/abi.md`, "Kernel requests"): REGISTER, UPTIME, EXIT,
//! ARGS, SERIAL_WRITE, SERIAL_READ, NOTIFY, TIMER, and the device requests, which the system
//! answers. Answered at once, on the caller's thread.
use alloc::vec::Vec;

use hayabusa_abi::{Error, HEADER_SIZE, Header, MAX_PAYLOAD, kernel};
use hayabusa_ipc::KERNEL_TASK;
use hayabusa_ipc::message::read_name;

use crate::imports::{Cancelled, Outcome};
use crate::{links, notify};
use crate::memory::with_bytes;
use crate::system::System;
use crate::table::{self, Ctl, End, wake_all};

/// Answers the request `header` at `ptr` in the caller's memory (already checked as a request:
/// the buffer has room for a whole message).
pub fn handle<S: System>(ctl: &Ctl<S>, ptr: u32, header: Header) -> Outcome {
    let mut table = table::lock::<S>();
    let t = &mut *table;
    let task = t.tasks.get(ctl.id).ok_or(Cancelled)?;
    let mem = task.memory.clone().ok_or(Cancelled)?;
    let payload_at = ptr + HEADER_SIZE as u32;
    let serial = task.entry.has_device("serial");
    // Every use of `mem` below: the task's own memory, while its code is stopped in this import.
    let result = match header.kind {
        // SAFETY: see above.
        kernel::REGISTER => unsafe {
            with_bytes(&mem, |bytes| {
                let name = read_name(bytes, payload_at, header.len)?;
                t.registry.register(ctl.id, name, task.entry.provides == Some(name))
            })
        }
        .map(|()| {
            links::registry_changed::<S>();
            Vec::new()
        }),
        kernel::UPTIME => Ok(S::uptime_ns().to_le_bytes().to_vec()),
        kernel::ARGS => {
            let args = task.args.as_bytes();
            Ok(args[..args.len().min(MAX_PAYLOAD)].to_vec())
        }
        kernel::EXIT => {
            let code = match header.len {
                0 => Ok(0),
                // SAFETY: see above.
                4 => Ok(unsafe {
                    with_bytes(&mem, |bytes| {
                        let at = payload_at as usize;
                        i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
                    })
                }),
                _ => Err(Error::BadArgument),
            };
            match code {
                Ok(code) => {
                    let threads = t.mark_ending(ctl.id, End::Exited(code));
                    drop(table);
                    wake_all::<S>(threads);
                    return Err(Cancelled);
                }
                Err(e) => Err(e),
            }
        }
        kernel::SERIAL_WRITE if serial => {
            // SAFETY: see above.
            let text = unsafe { with_bytes(&mem, |bytes| bytes[payload_at as usize..][..header.len as usize].to_vec()) };
            drop(table);
            // Written unlocked: output may take a while.
            S::serial_write(&text);
            return Ok(write_reply(ctl, ptr, header.kind, &[]));
        }
        kernel::NOTIFY if header.len == 8 => {
            // SAFETY: see above.
            let (dst, bits) = unsafe {
                with_bytes(&mem, |bytes| {
                    let at = payload_at as usize;
                    let word = |i: usize| u32::from_le_bytes(bytes[at + i..at + i + 4].try_into().expect("4 bytes"));
                    (word(0) as i32, word(4))
                })
            };
            if bits == 0 || dst <= KERNEL_TASK {
                Err(Error::BadArgument)
            } else if !t.tasks.contains_key(dst) {
                Err(Error::NoSuchTask)
            } else if !t.may_call(ctl.id, dst) && !t.may_call(dst, ctl.id) {
                Err(Error::Denied)
            } else {
                notify::post(t, dst, bits);
                Ok(Vec::new())
            }
        }
        kernel::TIMER if header.len == 8 => {
            // SAFETY: see above.
            let ns = unsafe {
                with_bytes(&mem, |bytes| {
                    let at = payload_at as usize;
                    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
                })
            };
            notify::set_timer(t, ctl.id, ns);
            Ok(Vec::new())
        }
        kernel::DEVICE_OPEN | kernel::PCI_CONFIG | kernel::DEVICE_MAP | kernel::IRQ_ACK => {
            // SAFETY: see above.
            let payload = unsafe { with_bytes(&mem, |bytes| bytes[payload_at as usize..][..header.len as usize].to_vec()) };
            let granted = header.kind != kernel::DEVICE_OPEN
                || core::str::from_utf8(&payload).is_ok_and(|name| task.entry.has_device(name));
            drop(table);
            if !granted {
                return Ok(Error::Denied.code());
            }
            // The system maps into the task's memory: unlocked, its code still stopped here.
            return Ok(match S::device_request(ctl.id, header.kind, &payload, &mem) {
                Ok(reply) if reply.len() <= MAX_PAYLOAD => write_reply(ctl, ptr, header.kind, &reply),
                Ok(_) => Error::BadReply.code(),
                Err(e) => e.code(),
            });
        }
        // The console owns serial input for now (docs/abi.md).
        kernel::SERIAL_READ if serial => Err(Error::Unsupported),
        kernel::SERIAL_WRITE | kernel::SERIAL_READ => Err(Error::Denied),
        _ => Err(Error::BadArgument),
    };
    drop(table);
    Ok(match result {
        Ok(payload) => write_reply(ctl, ptr, header.kind, &payload),
        Err(e) => e.code(),
    })
}

/// Writes the kernel's reply over the request at `ptr`; returns the call's result.
fn write_reply<S: System>(ctl: &Ctl<S>, ptr: u32, kind: u32, payload: &[u8]) -> i32 {
    let table = table::lock::<S>();
    let Some(mem) = table.tasks.get(ctl.id).and_then(|t| t.memory.as_ref()) else { return Error::BadPointer.code() };
    let header = Header { kind, len: payload.len() as u32, sender: KERNEL_TASK, flags: 0 };
    // SAFETY: the task's own memory, while its code is stopped in its `ipc_call`.
    unsafe {
        with_bytes(mem, |bytes| {
            // The request check guaranteed room for a whole message at `ptr`.
            let out = &mut bytes[ptr as usize..][..HEADER_SIZE + payload.len()];
            out[..HEADER_SIZE].copy_from_slice(&header.encode());
            out[HEADER_SIZE..].copy_from_slice(payload);
        })
    };
    0
}

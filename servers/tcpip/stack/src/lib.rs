//! The tcpip service's logic without IPC (`servers/tcpip` adds the event loop and the driver):
//! smoltcp sockets answering the socket protocol ([`sockets`]) and the smoltcp device, two
//! frame queues ([`device`]). `no_std` with `alloc`; its tests run on the host, on a looped wire.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod device;
pub mod sockets;

#[cfg(test)]
mod tests;

//! The `tcpip` service's socket protocol (docs/abi.md, "`tcpip`"): kinds, payload layouts and
//! their parsing ([`Request`], shared by every implementation of the service), and on wasm32 a
//! small client library ([`TcpListener`], [`TcpStream`], [`UdpSocket`], [`Wait`]).
//!
//! Sockets are numbered per client task: a number names a socket of the calling task only.
//! Blocking requests (ACCEPT, RECV, SEND, CONNECT, RECV_FROM without [`NONBLOCK`], and WAIT)
//! are answered when they can complete: the service replies later and serves other tasks
//! meanwhile. With [`NONBLOCK`] they fail with [`Error::WouldBlock`](crate::Error::WouldBlock)
//! instead of waiting.

mod proto;

#[cfg(target_arch = "wasm32")]
mod client;

pub use proto::*;

#[cfg(target_arch = "wasm32")]
pub use client::{Ready, TcpListener, TcpStream, UdpSocket, Wait, service};

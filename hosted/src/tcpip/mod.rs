//! The hosted runner's `tcpip`: the socket protocol of `hayabusa_abi::net` answered with host
//! sockets (std::net on 127.0.0.1), as a native task ([`hayabusa_tasks::native`]) for the
//! manifest's `tcpip.wasm`. The task's thread only receives calls and hands them to the
//! service's event loop ([`service`]), which owns every socket, answers requests that can be
//! answered now and keeps the blocking ones until poll(2) says they can complete.
//!
//! Guest ports map to host ports with `--tcp-port GUEST=HOST` ([`set_port_map`]), so that
//! `http.wasm`'s port 80 is an unprivileged port on Linux.
mod ports;
mod service;
mod sockets;

use std::sync::Arc;

use hayabusa_abi::names;
use hayabusa_tasks::native::NativeTask;

use crate::system::Hosted;

pub use ports::{PortMap, set_port_map};

/// The program file the runner serves natively.
pub const FILE: &str = "tcpip.wasm";

/// The native task's body: registers `tcpip`, runs the event loop on a thread of its own, and
/// feeds it calls until the task is killed; then stops the loop, which closes every socket and
/// fails the calls it still held (the callers get `PEER_DIED`).
pub fn body(task: NativeTask<Hosted>) {
    if let Err(e) = task.register(names::TCPIP) {
        log::error!("tcpip: cannot register: {e}");
        return;
    }
    let task = Arc::new(task);
    let service = match service::Service::new() {
        Ok(service) => Arc::new(service),
        Err(e) => {
            log::error!("tcpip: {e}");
            return;
        }
    };
    let worker = {
        let (service, task) = (service.clone(), task.clone());
        std::thread::Builder::new().name("tcpip-loop".into()).spawn(move || service.run(&task))
    };
    let Ok(worker) = worker else {
        log::error!("tcpip: no thread for the event loop");
        return;
    };
    while let Some(call) = task.recv() {
        service.push(call);
    }
    service.stop();
    let _ = worker.join();
}

//! The event loop: one `ipc_recv(0)` at a time. A notification (the driver's RX_BIT, the
//! timer) or a client's request comes in; then the interface is polled, frames go to the
//! driver, kept requests are tried again, and the timer is armed for what is due next (the
//! interface's next deadline, a WAIT's timeout, the next sweep for clients that ended).

use alloc::boxed::Box;
use alloc::vec::Vec;

use hayabusa_abi::kernel::{self, NOTIFICATION, TIMER_BIT};
use hayabusa_abi::net::{FOREVER, Request};
use hayabusa_abi::netdev::RX_BIT;
use hayabusa_abi::{Error, Message, TaskId, recv, reply};
use smoltcp::time::Instant;

use tcpip_stack::device::Frames;
use crate::netdev::Netdev;
use tcpip_stack::sockets::{Progress, Stack, Step};

/// How often the sockets of clients that ended are looked for.
const SWEEP_NS: u64 = 1_000_000_000;
/// The notification bit that asks whether a client blocked in a call to us still lives (a
/// live one finds it at its next `ipc_recv`, and ignores it).
const PROBE_BIT: u32 = 1 << 29;
/// When the driver's transmit queue was full, the next try.
const TX_RETRY_NS: u64 = 10_000_000;

/// A request that would block, kept until it can complete.
struct Pending {
    task: TaskId,
    kind: u32,
    payload: Vec<u8>,
    progress: Progress,
    /// A WAIT's deadline (ns since boot).
    deadline: Option<u64>,
}

pub struct Service {
    stack: Stack,
    frames: Frames,
    netdev: Netdev,
    pending: Vec<Pending>,
    /// Frames the driver could not take yet.
    tx_stalled: bool,
    next_sweep: u64,
    /// When the armed timer fires (ns since boot), if one is armed.
    timer: Option<u64>,
}

fn now_ns() -> u64 {
    kernel::uptime_ns().unwrap_or(0)
}

fn instant(ns: u64) -> Instant {
    Instant::from_micros((ns / 1000) as i64)
}

impl Service {
    pub fn new(stack: Stack, frames: Frames, netdev: Netdev) -> Service {
        Service { stack, frames, netdev, pending: Vec::new(), tx_stalled: false, next_sweep: 0, timer: None }
    }

    /// Serves forever.
    pub fn run(mut self) -> ! {
        let mut msg = Box::new(Message::new(0));
        let mut out = Box::new(Message::new(0));
        loop {
            self.arm(now_ns());
            let from = match recv(None, &mut msg) {
                Ok(from) => from,
                Err(_) => continue,
            };
            if from == TaskId::KERNEL && msg.kind() == NOTIFICATION {
                let bits = msg.u32_at(0).unwrap_or(0);
                if bits & TIMER_BIT != 0 {
                    self.timer = None;
                }
                if bits & RX_BIT != 0 {
                    let _ = self.netdev.drain(&mut self.frames, &mut msg);
                }
            } else {
                self.request(from, &msg, &mut out);
            }
            self.pump(&mut msg, &mut out);
        }
    }

    /// A client's request: answered now, or kept.
    fn request(&mut self, task: TaskId, msg: &Message, out: &mut Message) {
        let request = match Request::parse(msg.kind(), msg.payload()) {
            Ok(request) => request,
            Err(e) => return self.answer(task, msg.kind(), Err(e), out),
        };
        let mut progress = Progress::default();
        let mut step = self.stack.attempt(task.get(), &request, &mut progress, out);
        if matches!(step, Step::Fail(Error::Busy)) && matches!(request, Request::TcpListen { .. } | Request::UdpBind { .. }) {
            // The port's holder may have ended since the last sweep (a server killed and
            // started again): look now, then try once more.
            self.sweep(out, Some(task));
            step = self.stack.attempt(task.get(), &request, &mut progress, out);
        }
        match step {
            Step::Done => self.answer(task, msg.kind(), Ok(()), out),
            Step::Fail(e) => self.answer(task, msg.kind(), Err(e), out),
            Step::Block => {
                let deadline = match request {
                    Request::Wait { timeout_ns, .. } if timeout_ns != FOREVER => Some(now_ns().saturating_add(timeout_ns)),
                    _ => None,
                };
                self.pending.push(Pending { task, kind: msg.kind(), payload: msg.payload().to_vec(), progress, deadline });
            }
        }
    }

    /// Replies to `task` (the payload already in `out` for `Ok`); a task that ended loses its
    /// sockets.
    fn answer(&mut self, task: TaskId, kind: u32, result: Result<(), Error>, out: &mut Message) {
        match result {
            Ok(()) => out.set_kind(kind),
            Err(e) => {
                out.reset(kind);
                out.set_error(e);
            }
        }
        if let Err(Error::NoSuchTask) = reply(task, out) {
            self.gone(task);
        }
    }

    fn gone(&mut self, task: TaskId) {
        self.stack.drop_client(task.get());
        self.pending.retain(|p| p.task != task);
    }

    /// Polls the interface, hands its frames to the driver and tries kept requests again,
    /// until nothing more comes of it.
    fn pump(&mut self, msg: &mut Message, out: &mut Message) {
        for _ in 0..4 {
            let now = now_ns();
            let stack = &self.stack;
            self.frames.drop_syns_beyond(|port| stack.listening_on(port));
            self.stack.iface.poll(instant(now), &mut self.frames, &mut self.stack.set);
            self.stack.tidy();
            self.tx_stalled = !matches!(self.netdev.flush(&mut self.frames, msg), Ok(true));
            let answered = self.retry(now, out);
            if now >= self.next_sweep {
                self.sweep(msg, None);
                self.next_sweep = now + SWEEP_NS;
            }
            let due = self.stack.iface.poll_delay(instant(now_ns()), &self.stack.set);
            if answered == 0 && due.is_none_or(|d| d.total_micros() > 0) {
                return;
            }
        }
    }

    /// Tries every kept request again; returns how many were answered.
    fn retry(&mut self, now: u64, out: &mut Message) -> usize {
        let mut answered = 0;
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            let step = match Request::parse(p.kind, &p.payload) {
                Ok(request) => self.stack.attempt(p.task.get(), &request, &mut p.progress, out),
                Err(e) => Step::Fail(e),
            };
            let result = match step {
                Step::Done => Ok(()),
                Step::Fail(e) => Err(e),
                Step::Block if p.deadline.is_some_and(|d| now >= d) => {
                    out.reset(0);
                    Ok(())
                }
                Step::Block => {
                    i += 1;
                    continue;
                }
            };
            let p = self.pending.swap_remove(i);
            self.answer(p.task, p.kind, result, out);
            answered += 1;
        }
        answered
    }

    /// Closes the sockets of clients that ended. One without a kept request is asked with an
    /// `ipc_reply` (a live task not calling us makes it fail with NOT_WAITING, an ended one
    /// with NO_SUCH_TASK); one with a kept request, whose reply that would be, with a NOTIFY of
    /// [`PROBE_BIT`] (NO_SUCH_TASK for an ended task; a live one gets the bit). `except`: the
    /// client whose call is being answered (a reply would answer it).
    fn sweep(&mut self, msg: &mut Message, except: Option<TaskId>) {
        let clients: Vec<i32> = self.stack.clients().chain(self.pending.iter().map(|p| p.task.get())).collect();
        for id in clients {
            let Some(task) = TaskId::new(id) else { continue };
            if Some(task) == except {
                continue;
            }
            let waiting = self.pending.iter().any(|p| p.task == task);
            let probe = if waiting {
                kernel::notify(task, PROBE_BIT)
            } else {
                msg.reset(0);
                msg.set_error(Error::Unsupported);
                reply(task, msg)
            };
            if let Err(Error::NoSuchTask) = probe {
                self.gone(task);
            }
        }
    }

    /// Arms the timer for the earliest of: the interface's next deadline, a WAIT's timeout,
    /// the next sweep (while there are clients), a retry of a full transmit queue.
    fn arm(&mut self, now: u64) {
        let mut due: Option<u64> = self.stack.iface.poll_delay(instant(now), &self.stack.set).map(|d| now + d.total_micros() * 1000);
        let mut earliest = |t: u64| due = Some(due.map_or(t, |d| d.min(t)));
        for p in &self.pending {
            if let Some(d) = p.deadline {
                earliest(d);
            }
        }
        if self.stack.clients().next().is_some() || !self.pending.is_empty() {
            earliest(self.next_sweep);
        }
        if self.tx_stalled {
            earliest(now + TX_RETRY_NS);
        }
        let Some(due) = due else { return };
        if self.timer.is_some_and(|t| t <= due) {
            return;
        }
        if kernel::set_timer(due.saturating_sub(now).max(1)).is_ok() {
            self.timer = Some(due);
        }
    }
}

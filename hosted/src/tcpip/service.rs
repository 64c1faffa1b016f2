//! The hosted `tcpip`'s event loop: one thread owns every socket. Calls arrive through the
//! inbox (an eventfd wakes the loop); each is attempted at once, and one that would block is
//! kept, with a deadline for a WAIT, until poll(2) reports its sockets ready. Every 100 ms the
//! sockets of tasks that ended are closed. TCP_CONNECT runs on a short-lived thread of its own
//! and comes back through the inbox.
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hayabusa_abi::net::{FOREVER, Request, TCP_LISTEN, UDP_BIND};
use hayabusa_tasks::native::{Call, NativeTask};
use rustix::event::{EventfdFlags, PollFd, PollFlags, Timespec, eventfd, poll};

use super::sockets::{Sockets, Step, attempt, host_addr, io_error};
use crate::system::Hosted;

/// How long a TCP_CONNECT may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the sockets of ended tasks are looked for.
const SWEEP: Duration = Duration::from_millis(100);

enum Incoming {
    Call(Call<Hosted>),
    Connected(Call<Hosted>, std::io::Result<std::net::TcpStream>),
}

#[derive(Default)]
struct Inbox {
    items: Vec<Incoming>,
    stop: bool,
}

pub struct Service {
    inbox: Mutex<Inbox>,
    wake: OwnedFd,
}

/// A request that would block, kept until it can complete.
struct Pending {
    call: Call<Hosted>,
    /// Bytes of a blocking SEND sent so far.
    sent: usize,
    /// A WAIT's deadline.
    deadline: Option<Instant>,
}

impl Service {
    pub fn new() -> Result<Service, String> {
        let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).map_err(|e| format!("eventfd: {e}"))?;
        Ok(Service { inbox: Mutex::new(Inbox::default()), wake })
    }

    fn add(&self, item: Incoming) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.items.push(item);
        }
        let _ = rustix::io::write(&self.wake, &1u64.to_ne_bytes());
    }

    pub fn push(&self, call: Call<Hosted>) {
        self.add(Incoming::Call(call));
    }

    /// Makes [`Service::run`] return; it drops every socket and every call it holds.
    pub fn stop(&self) {
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.stop = true;
        }
        let _ = rustix::io::write(&self.wake, &1u64.to_ne_bytes());
    }

    /// The event loop, until [`Service::stop`].
    pub fn run(self: &Arc<Self>, task: &NativeTask<Hosted>) {
        let mut socks = Sockets::default();
        let mut pending: Vec<Pending> = Vec::new();
        let mut swept = Instant::now();
        loop {
            let items = match self.inbox.lock() {
                Ok(mut inbox) if !inbox.stop => std::mem::take(&mut inbox.items),
                _ => return,
            };
            for item in items {
                match item {
                    Incoming::Call(call) => {
                        // A port a task that ended held is free again for a restarted server.
                        if matches!(call.kind(), TCP_LISTEN | UDP_BIND) {
                            sweep(&mut socks, &mut pending, task);
                        }
                        self.start(&mut socks, &mut pending, call)
                    }
                    Incoming::Connected(call, result) => {
                        let caller = call.caller();
                        match result.map_err(|e| io_error(&e)).and_then(|s| socks.add_stream(caller, s)) {
                            Ok(id) => call.reply(hayabusa_abi::net::TCP_CONNECT, &id.to_le_bytes()),
                            Err(e) => call.fail(e),
                        };
                    }
                }
            }
            if swept.elapsed() >= SWEEP {
                swept = Instant::now();
                sweep(&mut socks, &mut pending, task);
            }
            let now = Instant::now();
            pending = pending.into_iter().filter_map(|p| retry(&mut socks, p, now)).collect();
            socks.linger(now);
            // Sleep until a call comes, a kept request's socket is ready, a WAIT times out, or
            // the next sweep.
            let mut timeout = SWEEP;
            for p in &pending {
                if let Some(d) = p.deadline {
                    timeout = timeout.min(d.saturating_duration_since(now));
                }
            }
            let (lingering, linger_until) = socks.lingering();
            if let Some(d) = linger_until {
                timeout = timeout.min(d.saturating_duration_since(now));
            }
            let mut fds = vec![PollFd::new(&self.wake, PollFlags::IN)];
            fds.extend(lingering.into_iter().map(|fd| PollFd::from_borrowed_fd(fd, PollFlags::IN)));
            for p in &pending {
                if let Ok(request) = Request::parse(p.call.kind(), p.call.payload()) {
                    for (fd, flags) in socks.interest(p.call.caller(), &request) {
                        fds.push(PollFd::from_borrowed_fd(fd, flags));
                    }
                }
            }
            let ts = Timespec { tv_sec: timeout.as_secs() as i64, tv_nsec: i64::from(timeout.subsec_nanos()) };
            let _ = poll(&mut fds, Some(&ts));
            drop(fds);
            let mut counter = [0u8; 8];
            let _ = rustix::io::read(self.wake.as_fd(), &mut counter);
        }
    }

    /// A new call: answered now, kept, or (TCP_CONNECT) handed to a thread.
    fn start(self: &Arc<Self>, socks: &mut Sockets, pending: &mut Vec<Pending>, call: Call<Hosted>) {
        let request = match Request::parse(call.kind(), call.payload()) {
            Ok(request) => request,
            Err(e) => {
                call.fail(e);
                return;
            }
        };
        let deadline = match request {
            Request::TcpConnect { addr, .. } => {
                let service = self.clone();
                let spawned = std::thread::Builder::new().name("tcpip-connect".into()).spawn(move || {
                    let result = std::net::TcpStream::connect_timeout(&host_addr(addr), CONNECT_TIMEOUT);
                    service.add(Incoming::Connected(call, result));
                });
                if spawned.is_err() {
                    log::error!("tcpip: no thread for a connect");
                }
                return;
            }
            Request::Wait { timeout_ns, .. } if timeout_ns != 0 && timeout_ns != FOREVER => {
                Some(Instant::now() + Duration::from_nanos(timeout_ns))
            }
            _ => None,
        };
        if let Some(p) = retry(socks, Pending { call, sent: 0, deadline }, Instant::now()) {
            pending.push(p);
        }
    }
}

/// Closes the sockets of tasks that ended and forgets their kept requests.
fn sweep(socks: &mut Sockets, pending: &mut Vec<Pending>, task: &NativeTask<Hosted>) {
    for t in socks.tasks() {
        if !task.alive(t) {
            socks.drop_task(t);
        }
    }
    pending.retain(|p| task.alive(p.call.caller()));
}

/// Attempts a kept request again: `None` once it is answered.
fn retry(socks: &mut Sockets, mut p: Pending, now: Instant) -> Option<Pending> {
    let step = match Request::parse(p.call.kind(), p.call.payload()) {
        Ok(request) => attempt(socks, p.call.caller(), &request, &mut p.sent),
        Err(e) => Step::Fail(e),
    };
    let kind = p.call.kind();
    match step {
        Step::Reply(bytes) => {
            p.call.reply(kind, &bytes);
            None
        }
        Step::Fail(e) => {
            p.call.fail(e);
            None
        }
        Step::Block if p.deadline.is_some_and(|d| now >= d) => {
            p.call.reply(kind, &[]);
            None
        }
        Step::Block => Some(p),
    }
}


//! The hosted `tcpip`'s sockets: numbered per client task, all non-blocking, and one attempt at
//! each request ([`attempt`]): it completes, fails, or would block (then the event loop keeps
//! it and tries again when poll(2) says the socket is ready).
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};
use std::os::fd::{AsFd, BorrowedFd};

use hayabusa_abi::Error;
use hayabusa_abi::net::{Addr, MAX_RECV_FROM, READABLE, Request, SocketId, WRITABLE, wait_entries, wait_entry};
use hayabusa_tasks::TaskId;
use rustix::event::{PollFd, PollFlags, poll};

use super::ports::{guest_port, host_port};

/// Sockets one task may hold at once.
pub const MAX_SOCKETS: usize = 1024;

pub enum Sock {
    Listener(TcpListener),
    Stream(TcpStream),
    Udp(UdpSocket),
}

impl Sock {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Sock::Listener(s) => s.as_fd(),
            Sock::Stream(s) => s.as_fd(),
            Sock::Udp(s) => s.as_fd(),
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Sock::Listener(s) => s.local_addr(),
            Sock::Stream(s) => s.local_addr(),
            Sock::Udp(s) => s.local_addr(),
        }
    }
}

/// One task's sockets.
#[derive(Default)]
struct Owned {
    next: SocketId,
    socks: HashMap<SocketId, Sock>,
}

/// Every client task's sockets.
#[derive(Default)]
pub struct Sockets {
    tasks: HashMap<TaskId, Owned>,
    /// Closed connections still delivering what was sent: their side is shut down, and what
    /// the peer still sends is read and dropped (closing a socket with unread input would reset
    /// the connection and lose the last response) until the peer closes or [`LINGER`] passed.
    lingering: Vec<(TcpStream, Instant)>,
}

/// How long a closed connection waits for its peer to close.
pub const LINGER: Duration = Duration::from_secs(2);
/// Closed connections kept lingering at most (beyond, they are closed at once).
const MAX_LINGERING: usize = 1024;

impl Sockets {
    pub fn get(&self, task: TaskId, id: SocketId) -> Result<&Sock, Error> {
        self.tasks.get(&task).and_then(|o| o.socks.get(&id)).ok_or(Error::BadArgument)
    }

    fn insert(&mut self, task: TaskId, sock: Sock) -> Result<SocketId, Error> {
        let owned = self.tasks.entry(task).or_default();
        if owned.socks.len() >= MAX_SOCKETS {
            return Err(Error::Busy);
        }
        loop {
            owned.next = owned.next.wrapping_add(1);
            if owned.next != 0 && !owned.socks.contains_key(&owned.next) {
                break;
            }
        }
        owned.socks.insert(owned.next, sock);
        Ok(owned.next)
    }

    /// Adds a connected stream for `task` (a finished TCP_CONNECT).
    pub fn add_stream(&mut self, task: TaskId, stream: TcpStream) -> Result<SocketId, Error> {
        stream.set_nonblocking(true).map_err(|e| io_error(&e))?;
        let _ = stream.set_nodelay(true);
        self.insert(task, Sock::Stream(stream))
    }

    /// The tasks that hold sockets.
    pub fn tasks(&self) -> Vec<TaskId> {
        self.tasks.keys().copied().collect()
    }

    /// Closes `socket` of `task`; a connection lingers (see [`Sockets::lingering`]).
    fn close(&mut self, task: TaskId, socket: SocketId) -> Result<(), Error> {
        let sock = self.tasks.get_mut(&task).and_then(|o| o.socks.remove(&socket)).ok_or(Error::BadArgument)?;
        if let Sock::Stream(stream) = sock
            && self.lingering.len() < MAX_LINGERING
            && stream.shutdown(Shutdown::Write).is_ok()
        {
            self.lingering.push((stream, Instant::now() + LINGER));
        }
        Ok(())
    }

    /// Reads and drops what lingering connections received; closes those done.
    pub fn linger(&mut self, now: Instant) {
        let mut sink = [0u8; 4096];
        self.lingering.retain(|(stream, deadline)| {
            let mut stream: &TcpStream = stream;
            now < *deadline
                && loop {
                    match stream.read(&mut sink) {
                        Ok(0) => break false,
                        Ok(_) => {}
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(_) => break false,
                    }
                }
        });
    }

    /// The lingering connections' descriptors and the earliest deadline among them.
    pub fn lingering(&self) -> (Vec<BorrowedFd<'_>>, Option<Instant>) {
        (self.lingering.iter().map(|(s, _)| s.as_fd()).collect(), self.lingering.iter().map(|(_, d)| *d).min())
    }

    /// Closes every socket of `task`.
    pub fn drop_task(&mut self, task: TaskId) {
        self.tasks.remove(&task);
    }

    /// The descriptor and poll events a blocked request of `task` waits for.
    pub fn interest(&self, task: TaskId, request: &Request) -> Vec<(BorrowedFd<'_>, PollFlags)> {
        let one = |id, flags| self.get(task, id).map(|s| vec![(s.fd(), flags)]).unwrap_or_default();
        match *request {
            Request::Accept { listener, .. } => one(listener, PollFlags::IN),
            Request::Recv { socket, .. } | Request::RecvFrom { socket, .. } => one(socket, PollFlags::IN),
            Request::Send { socket, .. } | Request::SendTo { socket, .. } => one(socket, PollFlags::OUT),
            Request::Wait { entries, .. } => wait_entries(entries)
                .filter_map(|(id, interest)| Some((self.get(task, id).ok()?.fd(), poll_flags(interest))))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn poll_flags(interest: u32) -> PollFlags {
    let mut flags = PollFlags::empty();
    if interest & READABLE != 0 {
        flags |= PollFlags::IN;
    }
    if interest & WRITABLE != 0 {
        flags |= PollFlags::OUT;
    }
    flags
}

/// The protocol's error for a failed host socket operation.
pub fn io_error(e: &std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::WouldBlock => Error::WouldBlock,
        ErrorKind::AddrInUse | ErrorKind::PermissionDenied => Error::Busy,
        ErrorKind::ConnectionRefused
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable
        | ErrorKind::TimedOut
        | ErrorKind::AddrNotAvailable => Error::Refused,
        _ => Error::Reset,
    }
}

fn addr_of(a: SocketAddr, guest: bool) -> Addr {
    let ip = match a {
        SocketAddr::V4(v4) => v4.ip().octets(),
        SocketAddr::V6(_) => [0; 4],
    };
    Addr::new(ip, if guest { guest_port(a.port()) } else { a.port() })
}

pub fn host_addr(a: Addr) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(a.ip), a.port))
}

fn bind_addr(port: u16) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, if port == 0 { 0 } else { host_port(port) }))
}

/// What one attempt at a request came to.
pub enum Step {
    Reply(Vec<u8>),
    Fail(Error),
    /// It would block (and is a blocking request): try again when its sockets are ready.
    Block,
}

fn done(result: Result<Vec<u8>, Error>, nonblock: bool) -> Step {
    match result {
        Ok(bytes) => Step::Reply(bytes),
        Err(Error::WouldBlock) if !nonblock => Step::Block,
        Err(e) => Step::Fail(e),
    }
}

/// One attempt at `request` of `task`; `sent`: bytes of a blocking SEND already sent. A
/// TCP_CONNECT is not attempted here (the event loop connects on a thread of its own).
pub fn attempt(socks: &mut Sockets, task: TaskId, request: &Request, sent: &mut usize) -> Step {
    let result = match *request {
        Request::TcpListen { port } => match TcpListener::bind(bind_addr(port)).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
            Ok(l) => socks.insert(task, Sock::Listener(l)).map(|id| id.to_le_bytes().to_vec()),
            Err(e) => Err(io_error(&e)),
        },
        Request::UdpBind { port } => match UdpSocket::bind(bind_addr(port)).and_then(|s| s.set_nonblocking(true).map(|()| s)) {
            Ok(s) => socks.insert(task, Sock::Udp(s)).map(|id| id.to_le_bytes().to_vec()),
            Err(e) => Err(io_error(&e)),
        },
        Request::Accept { listener, nonblock } => {
            let accepted = match socks.get(task, listener) {
                Ok(Sock::Listener(l)) => l.accept().map_err(|e| io_error(&e)),
                Ok(_) => Err(Error::BadArgument),
                Err(e) => Err(e),
            };
            let result = accepted.and_then(|(stream, peer)| {
                let id = socks.add_stream(task, stream)?;
                let mut reply = id.to_le_bytes().to_vec();
                reply.extend_from_slice(&addr_of(peer, false).encode());
                Ok(reply)
            });
            return done(result, nonblock);
        }
        Request::Send { socket, nonblock, data } => {
            let result = match socks.get(task, socket) {
                Ok(Sock::Stream(s)) => loop {
                    let mut s: &TcpStream = s;
                    match s.write(&data[*sent..]) {
                        Ok(0) => break Err(Error::Reset),
                        Ok(n) => {
                            *sent += n;
                            if nonblock || *sent == data.len() {
                                break Ok((*sent as u32).to_le_bytes().to_vec());
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => break Err(io_error(&e)),
                    }
                },
                Ok(_) => Err(Error::BadArgument),
                Err(e) => Err(e),
            };
            return done(result, nonblock);
        }
        Request::Recv { socket, nonblock, max } => {
            let result = match socks.get(task, socket) {
                Ok(Sock::Stream(s)) => {
                    let mut s: &TcpStream = s;
                    let mut buf = vec![0; max];
                    match s.read(&mut buf) {
                        Ok(n) => {
                            buf.truncate(n);
                            Ok(buf)
                        }
                        Err(e) => Err(io_error(&e)),
                    }
                }
                Ok(_) => Err(Error::BadArgument),
                Err(e) => Err(e),
            };
            return done(result, nonblock);
        }
        Request::SendTo { socket, nonblock, to, data } => {
            let result = match socks.get(task, socket) {
                Ok(Sock::Udp(s)) => s.send_to(data, host_addr(to)).map(|n| (n as u32).to_le_bytes().to_vec()).map_err(|e| io_error(&e)),
                Ok(_) => Err(Error::BadArgument),
                Err(e) => Err(e),
            };
            return done(result, nonblock);
        }
        Request::RecvFrom { socket, nonblock } => {
            let result = match socks.get(task, socket) {
                Ok(Sock::Udp(s)) => {
                    let mut buf = vec![0; Addr::SIZE + MAX_RECV_FROM];
                    match s.recv_from(&mut buf[Addr::SIZE..]) {
                        Ok((n, from)) => {
                            buf[..Addr::SIZE].copy_from_slice(&addr_of(from, false).encode());
                            buf.truncate(Addr::SIZE + n);
                            Ok(buf)
                        }
                        Err(e) => Err(io_error(&e)),
                    }
                }
                Ok(_) => Err(Error::BadArgument),
                Err(e) => Err(e),
            };
            return done(result, nonblock);
        }
        Request::Close { socket } => socks.close(task, socket).map(|()| Vec::new()),
        Request::LocalAddr { socket } => {
            socks.get(task, socket).and_then(|s| s.local_addr().map_err(|e| io_error(&e))).map(|a| addr_of(a, true).encode().to_vec())
        }
        Request::Wait { timeout_ns, entries } => {
            return match ready(socks, task, entries) {
                Ok(reply) if reply.is_empty() && timeout_ns != 0 => Step::Block,
                Ok(reply) => Step::Reply(reply),
                Err(e) => Step::Fail(e),
            };
        }
        Request::TcpConnect { .. } => Err(Error::Unsupported),
    };
    match result {
        Ok(reply) => Step::Reply(reply),
        Err(e) => Step::Fail(e),
    }
}

/// WAIT's reply now: an entry for each ready socket (`BAD_ARGUMENT` if one is not the task's).
fn ready(socks: &Sockets, task: TaskId, entries: &[u8]) -> Result<Vec<u8>, Error> {
    let named: Vec<(SocketId, u32)> = wait_entries(entries).collect();
    let mut fds = Vec::with_capacity(named.len());
    for &(id, interest) in &named {
        fds.push(PollFd::from_borrowed_fd(socks.get(task, id)?.fd(), poll_flags(interest)));
    }
    loop {
        match poll(&mut fds, Some(&rustix::event::Timespec { tv_sec: 0, tv_nsec: 0 })) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => {}
            Err(_) => return Err(Error::Reset),
        }
    }
    let mut reply = Vec::new();
    for (fd, &(id, interest)) in fds.iter().zip(&named) {
        let r = fd.revents();
        let mut bits = 0;
        if r.intersects(PollFlags::IN | PollFlags::HUP | PollFlags::ERR) {
            bits |= READABLE;
        }
        if r.intersects(PollFlags::OUT | PollFlags::HUP | PollFlags::ERR) {
            bits |= WRITABLE;
        }
        bits &= interest;
        if bits != 0 {
            reply.extend_from_slice(&wait_entry(id, bits));
        }
    }
    Ok(reply)
}

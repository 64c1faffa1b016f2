//! The socket table: every client task's sockets, numbered per task, over one smoltcp
//! `SocketSet`; and one attempt at each request ([`Stack::attempt`]): it completes, fails, or
//! would block (the event loop then keeps it and tries again after the next poll).
//!
//! A TCP listener is a backlog of [`BACKLOG`] smoltcp sockets listening on its port (smoltcp
//! sockets take one connection each): ACCEPT hands out one that got connected and puts a fresh
//! listening socket in its place. A closed connection stays in the set (`closing`) until
//! smoltcp has finished it, so what was sent is still delivered.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use hayabusa_abi::net::{Addr, MAX_RECV_FROM, READABLE, Request, SocketId, WRITABLE, wait_entries, wait_entry};
use hayabusa_abi::{Error, Message};
use smoltcp::iface::{Interface, SocketHandle, SocketSet};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Duration;
use smoltcp::wire::{IpAddress, IpEndpoint, Ipv4Address};

/// Sockets one client task may hold (a listener counts once).
pub const MAX_PER_TASK: usize = 256;
/// smoltcp sockets in all (backlogs and closing connections included): bounds the memory.
pub const MAX_SOCKETS: usize = 512;
/// Connections a listener holds before they are accepted.
pub const BACKLOG: usize = 8;
/// Each TCP socket's receive and send buffers.
pub const TCP_BUFFER: usize = 32 * 1024;
/// Each UDP socket's receive and send buffers, and the datagrams each holds.
pub const UDP_BUFFER: usize = 16 * 1024;
pub const UDP_PACKETS: usize = 16;
/// The largest datagram: one unfragmented IPv4 packet on a 1500-byte MTU.
pub const MAX_DATAGRAM: usize = 1500 - 20 - 8;
/// A connection that makes no progress for this long is dropped (a TCP_CONNECT is REFUSED).
const TIMEOUT: Duration = Duration::from_secs(20);
/// Local ports for TCP_CONNECT and `UDP_BIND 0`.
const EPHEMERAL: core::ops::RangeInclusive<u16> = 49152..=65535;

enum Sock {
    Listener { port: u16, backlog: Vec<SocketHandle> },
    Tcp(SocketHandle),
    Udp(SocketHandle),
}

#[derive(Default)]
struct Client {
    next: SocketId,
    socks: BTreeMap<SocketId, Sock>,
}

/// What a blocking request achieved so far, kept with it between attempts.
#[derive(Default)]
pub struct Progress {
    /// Bytes of a SEND already queued.
    pub sent: usize,
    /// The socket a TCP_CONNECT opened.
    pub socket: Option<SocketId>,
}

/// What one attempt at a request came to. `Done`: the reply payload is in the output message.
pub enum Step {
    Done,
    Fail(Error),
    /// It would block (and is a blocking request): try again after the next poll.
    Block,
}

pub struct Stack {
    pub iface: Interface,
    pub set: SocketSet<'static>,
    ip: Ipv4Address,
    clients: BTreeMap<i32, Client>,
    /// Connections their owner closed, until smoltcp has finished them.
    closing: Vec<SocketHandle>,
    tcp_ports: BTreeSet<u16>,
    udp_ports: BTreeSet<u16>,
    next_port: u16,
}

fn tcp_socket() -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(tcp::SocketBuffer::new(vec![0; TCP_BUFFER]), tcp::SocketBuffer::new(vec![0; TCP_BUFFER]));
    s.set_timeout(Some(TIMEOUT));
    s.set_nagle_enabled(false);
    s
}

fn addr(ep: IpEndpoint) -> Addr {
    let IpAddress::Ipv4(ip) = ep.addr;
    Addr::new(ip.octets(), ep.port)
}

/// A connection that is not yet one (or a listening socket).
fn opening(s: &tcp::Socket) -> bool {
    matches!(s.state(), tcp::State::Listen | tcp::State::SynSent | tcp::State::SynReceived)
}

fn tcp_ready(s: &tcp::Socket) -> u32 {
    if opening(s) {
        return 0;
    }
    let mut bits = 0;
    if s.can_recv() || !s.may_recv() {
        bits |= READABLE;
    }
    if s.can_send() || !s.may_send() {
        bits |= WRITABLE;
    }
    bits
}

/// Blocking requests wait; NONBLOCK ones fail.
fn would_block(nonblock: bool) -> Step {
    if nonblock { Step::Fail(Error::WouldBlock) } else { Step::Block }
}

fn done(out: &mut Message, parts: &[&[u8]]) -> Step {
    out.reset(0);
    for part in parts {
        if let Err(e) = out.push(part) {
            return Step::Fail(e);
        }
    }
    Step::Done
}

impl Stack {
    pub fn new(iface: Interface, ip: Ipv4Address, seed: u64) -> Stack {
        let span = EPHEMERAL.end() - EPHEMERAL.start();
        Stack {
            iface,
            set: SocketSet::new(Vec::new()),
            ip,
            clients: BTreeMap::new(),
            closing: Vec::new(),
            tcp_ports: BTreeSet::new(),
            udp_ports: BTreeSet::new(),
            next_port: EPHEMERAL.start() + (seed % u64::from(span)) as u16,
        }
    }

    /// The tasks that hold sockets.
    pub fn clients(&self) -> impl Iterator<Item = i32> + '_ {
        self.clients.keys().copied()
    }

    fn ephemeral(&mut self, udp: bool) -> Result<u16, Error> {
        for _ in EPHEMERAL {
            let port = self.next_port;
            self.next_port = if port == *EPHEMERAL.end() { *EPHEMERAL.start() } else { port + 1 };
            let taken = if udp { &self.udp_ports } else { &self.tcp_ports };
            if !taken.contains(&port) {
                return Ok(port);
            }
        }
        Err(Error::Busy)
    }

    /// Room for `n` more smoltcp sockets and one more socket of `task`.
    fn room(&self, task: i32, n: usize) -> Result<(), Error> {
        let held = self.clients.get(&task).map_or(0, |c| c.socks.len());
        if held >= MAX_PER_TASK || self.set.iter().count() + n > MAX_SOCKETS { Err(Error::Busy) } else { Ok(()) }
    }

    fn insert(&mut self, task: i32, sock: Sock) -> SocketId {
        let client = self.clients.entry(task).or_default();
        loop {
            client.next = client.next.wrapping_add(1);
            if client.next != 0 && !client.socks.contains_key(&client.next) {
                break;
            }
        }
        client.socks.insert(client.next, sock);
        client.next
    }

    fn get(&self, task: i32, id: SocketId) -> Result<&Sock, Error> {
        self.clients.get(&task).and_then(|c| c.socks.get(&id)).ok_or(Error::BadArgument)
    }

    fn tcp(&mut self, task: i32, id: SocketId) -> Result<&mut tcp::Socket<'static>, Error> {
        match *self.get(task, id)? {
            Sock::Tcp(h) => Ok(self.set.get_mut::<tcp::Socket>(h)),
            _ => Err(Error::BadArgument),
        }
    }

    fn udp(&mut self, task: i32, id: SocketId) -> Result<&mut udp::Socket<'static>, Error> {
        match *self.get(task, id)? {
            Sock::Udp(h) => Ok(self.set.get_mut::<udp::Socket>(h)),
            _ => Err(Error::BadArgument),
        }
    }

    fn listening(&mut self, port: u16) -> Result<SocketHandle, Error> {
        let mut s = tcp_socket();
        s.listen(port).map_err(|_| Error::BadArgument)?;
        Ok(self.set.add(s))
    }

    /// How many sockets listen on `port` now (a listener's backlog less the connections it
    /// holds); `None` when no listener has the port. See `Frames::drop_syns_beyond`.
    pub fn listening_on(&self, port: u16) -> Option<usize> {
        self.clients.values().flat_map(|c| c.socks.values()).find_map(|sock| match sock {
            Sock::Listener { port: p, backlog } if *p == port => {
                Some(backlog.iter().filter(|&&h| self.set.get::<tcp::Socket>(h).state() == tcp::State::Listen).count())
            }
            _ => None,
        })
    }

    /// The index in `backlog` of a connection ready to be accepted.
    fn accepted(&self, backlog: &[SocketHandle]) -> Option<usize> {
        backlog.iter().position(|&h| {
            let s = self.set.get::<tcp::Socket>(h);
            !opening(s) && s.state() != tcp::State::Closed
        })
    }

    /// Readiness bits of one socket of `task`.
    fn ready(&self, task: i32, id: SocketId) -> Result<u32, Error> {
        Ok(match self.get(task, id)? {
            Sock::Listener { backlog, .. } => {
                if self.accepted(backlog).is_some() {
                    READABLE
                } else {
                    0
                }
            }
            Sock::Tcp(h) => tcp_ready(self.set.get::<tcp::Socket>(*h)),
            Sock::Udp(h) => {
                let s = self.set.get::<udp::Socket>(*h);
                (if s.can_recv() { READABLE } else { 0 }) | (if s.can_send() { WRITABLE } else { 0 })
            }
        })
    }

    /// One attempt at `request` of `task`, its reply written to `out`; `progress`: what earlier
    /// attempts of a blocking request did.
    pub fn attempt(&mut self, task: i32, request: &Request, progress: &mut Progress, out: &mut Message) -> Step {
        let result = match *request {
            Request::TcpListen { port } => self.listen(task, port).map(|id| done(out, &[&id.to_le_bytes()])),
            Request::TcpConnect { addr: to, nonblock } => self.connect(task, to, nonblock, &mut progress.socket, out),
            Request::Accept { listener, nonblock } => self.accept(task, listener, nonblock, out),
            Request::Send { socket, nonblock, data } => self.send(task, socket, nonblock, data, &mut progress.sent, out),
            Request::Recv { socket, nonblock, max } => self.recv(task, socket, nonblock, max, out),
            Request::Close { socket } => self.close(task, socket).map(|()| done(out, &[])),
            Request::UdpBind { port } => self.udp_bind(task, port).map(|id| done(out, &[&id.to_le_bytes()])),
            Request::SendTo { socket, nonblock, to, data } => self.send_to(task, socket, nonblock, to, data, out),
            Request::RecvFrom { socket, nonblock } => self.recv_from(task, socket, nonblock, out),
            Request::Wait { timeout_ns, entries } => self.wait(task, timeout_ns, entries, out),
            Request::LocalAddr { socket } => self.local_addr(task, socket).map(|a| done(out, &[&a.encode()])),
        };
        result.unwrap_or_else(Step::Fail)
    }

    fn listen(&mut self, task: i32, port: u16) -> Result<SocketId, Error> {
        self.room(task, BACKLOG)?;
        let port = if port == 0 { self.ephemeral(false)? } else { port };
        if !self.tcp_ports.insert(port) {
            return Err(Error::Busy);
        }
        let mut backlog = Vec::with_capacity(BACKLOG);
        for _ in 0..BACKLOG {
            backlog.push(self.listening(port)?);
        }
        Ok(self.insert(task, Sock::Listener { port, backlog }))
    }

    fn connect(&mut self, task: i32, to: Addr, nonblock: bool, opened: &mut Option<SocketId>, out: &mut Message) -> Result<Step, Error> {
        if let Some(id) = *opened {
            // A blocking connect in progress: up, failed, or not yet.
            let s = self.tcp(task, id)?;
            return Ok(match s.state() {
                tcp::State::SynSent | tcp::State::SynReceived => Step::Block,
                tcp::State::Closed => {
                    let _ = self.close(task, id);
                    Step::Fail(Error::Refused)
                }
                _ => done(out, &[&id.to_le_bytes()]),
            });
        }
        if to.port == 0 || to.ip == [0; 4] {
            return Err(Error::Refused);
        }
        self.room(task, 1)?;
        let local = self.ephemeral(false)?;
        let mut s = tcp_socket();
        let remote = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::from(to.ip)), to.port);
        s.connect(self.iface.context(), remote, local).map_err(|_| Error::Refused)?;
        let handle = self.set.add(s);
        let id = self.insert(task, Sock::Tcp(handle));
        if nonblock {
            // The socket at once, connection in progress: WAIT WRITABLE tells when it is up
            // (or failed: SEND and RECV then say RESET).
            return Ok(done(out, &[&id.to_le_bytes()]));
        }
        *opened = Some(id);
        Ok(Step::Block)
    }

    fn accept(&mut self, task: i32, listener: SocketId, nonblock: bool, out: &mut Message) -> Result<Step, Error> {
        let (port, at) = match self.get(task, listener)? {
            Sock::Listener { port, backlog } => (*port, self.accepted(backlog)),
            _ => return Err(Error::BadArgument),
        };
        let Some(at) = at else { return Ok(would_block(nonblock)) };
        self.room(task, 1)?;
        let fresh = self.listening(port)?;
        let Some(Sock::Listener { backlog, .. }) = self.clients.get_mut(&task).and_then(|c| c.socks.get_mut(&listener)) else {
            return Err(Error::BadArgument);
        };
        let handle = core::mem::replace(&mut backlog[at], fresh);
        let peer = self.set.get::<tcp::Socket>(handle).remote_endpoint().map_or(Addr::new([0; 4], 0), addr);
        let id = self.insert(task, Sock::Tcp(handle));
        Ok(done(out, &[&id.to_le_bytes(), &peer.encode()]))
    }

    fn send(&mut self, task: i32, id: SocketId, nonblock: bool, data: &[u8], sent: &mut usize, out: &mut Message) -> Result<Step, Error> {
        let s = self.tcp(task, id)?;
        if opening(s) {
            return Ok(would_block(nonblock));
        }
        let n = s.send_slice(&data[(*sent).min(data.len())..]).map_err(|_| Error::Reset)?;
        *sent += n;
        Ok(if *sent == data.len() || (nonblock && *sent > 0) {
            done(out, &[&(*sent as u32).to_le_bytes()])
        } else {
            would_block(nonblock)
        })
    }

    fn recv(&mut self, task: i32, id: SocketId, nonblock: bool, max: usize, out: &mut Message) -> Result<Step, Error> {
        let s = self.tcp(task, id)?;
        if opening(s) {
            return Ok(would_block(nonblock));
        }
        let area = out.payload_area();
        let max = max.min(area.len());
        Ok(match s.recv_slice(&mut area[..max]) {
            Ok(0) => would_block(nonblock),
            Ok(n) => {
                out.reset(0);
                out.set_len(n).map_or_else(Step::Fail, |()| Step::Done)
            }
            Err(tcp::RecvError::Finished) => done(out, &[]),
            Err(tcp::RecvError::InvalidState) => Step::Fail(Error::Reset),
        })
    }

    fn udp_bind(&mut self, task: i32, port: u16) -> Result<SocketId, Error> {
        self.room(task, 1)?;
        let port = if port == 0 { self.ephemeral(true)? } else { port };
        if self.udp_ports.contains(&port) {
            return Err(Error::Busy);
        }
        let buffer = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_PACKETS], vec![0; UDP_BUFFER]);
        let mut s = udp::Socket::new(buffer(), buffer());
        s.bind(port).map_err(|_| Error::BadArgument)?;
        self.udp_ports.insert(port);
        let handle = self.set.add(s);
        Ok(self.insert(task, Sock::Udp(handle)))
    }

    fn send_to(&mut self, task: i32, id: SocketId, nonblock: bool, to: Addr, data: &[u8], out: &mut Message) -> Result<Step, Error> {
        let s = self.udp(task, id)?;
        if data.len() > MAX_DATAGRAM {
            return Err(Error::TooLarge);
        }
        let remote = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::from(to.ip)), to.port);
        Ok(match s.send_slice(data, remote) {
            Ok(()) => done(out, &[&(data.len() as u32).to_le_bytes()]),
            Err(udp::SendError::BufferFull) => would_block(nonblock),
            Err(udp::SendError::Unaddressable) => Step::Fail(Error::BadArgument),
        })
    }

    fn recv_from(&mut self, task: i32, id: SocketId, nonblock: bool, out: &mut Message) -> Result<Step, Error> {
        let s = self.udp(task, id)?;
        Ok(match s.recv() {
            Ok((data, meta)) => done(out, &[&addr(meta.endpoint).encode(), &data[..data.len().min(MAX_RECV_FROM)]]),
            Err(_) => would_block(nonblock),
        })
    }

    fn wait(&mut self, task: i32, timeout_ns: u64, entries: &[u8], out: &mut Message) -> Result<Step, Error> {
        out.reset(0);
        for (id, interest) in wait_entries(entries) {
            let bits = self.ready(task, id)? & interest;
            if bits != 0 {
                out.push(&wait_entry(id, bits))?;
            }
        }
        // The event loop answers an expired WAIT with an empty reply.
        Ok(if out.payload().is_empty() && timeout_ns != 0 { Step::Block } else { Step::Done })
    }

    fn local_addr(&self, task: i32, id: SocketId) -> Result<Addr, Error> {
        let port = match *self.get(task, id)? {
            Sock::Listener { port, .. } => port,
            Sock::Tcp(h) => self.set.get::<tcp::Socket>(h).local_endpoint().map_or(0, |ep| ep.port),
            Sock::Udp(h) => self.set.get::<udp::Socket>(h).endpoint().port,
        };
        Ok(Addr::new(self.ip.octets(), port))
    }

    /// Closes one socket of `task`: a connection is finished in the background.
    pub fn close(&mut self, task: i32, id: SocketId) -> Result<(), Error> {
        let sock = self.clients.get_mut(&task).and_then(|c| c.socks.remove(&id)).ok_or(Error::BadArgument)?;
        if self.clients.get(&task).is_some_and(|c| c.socks.is_empty()) {
            self.clients.remove(&task);
        }
        match sock {
            Sock::Listener { port, backlog } => {
                self.tcp_ports.remove(&port);
                for h in backlog {
                    self.finish(h);
                }
            }
            Sock::Tcp(h) => self.finish(h),
            Sock::Udp(h) => {
                let s = self.set.remove(h);
                if let smoltcp::socket::Socket::Udp(s) = s {
                    self.udp_ports.remove(&s.endpoint().port);
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, h: SocketHandle) {
        self.set.get_mut::<tcp::Socket>(h).close();
        self.closing.push(h);
    }

    /// Closes every socket of `task` (it ended).
    pub fn drop_client(&mut self, task: i32) {
        let ids: Vec<SocketId> = self.clients.get(&task).map(|c| c.socks.keys().copied().collect()).unwrap_or_default();
        for id in ids {
            let _ = self.close(task, id);
        }
        self.clients.remove(&task);
    }

    /// After a poll: finished connections leave the set; backlog sockets that lost their
    /// connection before it was accepted listen again.
    pub fn tidy(&mut self) {
        let set = &mut self.set;
        self.closing.retain(|&h| {
            let gone = matches!(set.get::<tcp::Socket>(h).state(), tcp::State::Closed | tcp::State::TimeWait);
            if gone {
                set.remove(h);
            }
            !gone
        });
        for client in self.clients.values() {
            for sock in client.socks.values() {
                if let Sock::Listener { port, backlog } = sock {
                    for &h in backlog {
                        let s = set.get_mut::<tcp::Socket>(h);
                        if s.state() == tcp::State::Closed {
                            let _ = s.listen(*port);
                        }
                    }
                }
            }
        }
    }
}

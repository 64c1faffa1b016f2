//! The socket client: the `tcpip` service looked up once, and one type per kind of socket. A
//! socket is closed when dropped (or by `close`, which reports the service's answer).

use core::sync::atomic::{AtomicI32, Ordering};

use super::proto::{
    ACCEPT, Addr, CLOSE, FOREVER, LOCAL_ADDR, MAX_RECV, MAX_SEND, MAX_SEND_TO, MAX_WAIT, RECV, RECV_FROM, SEND, SEND_TO,
    SocketId, TCP_CONNECT, TCP_LISTEN, UDP_BIND, WAIT, port_payload, socket_header, wait_entries, wait_entry,
};
use crate::{Error, MAX_PAYLOAD, Message, TaskId, call, lookup, names};

/// The service's task id once looked up (0: not yet).
static TCPIP: AtomicI32 = AtomicI32::new(0);

/// The `tcpip` service's task (looked up once; `DENIED` unless the manifest's `reach` names it).
/// A restarted service has a new id and none of the old sockets: after `PEER_DIED` or
/// `NO_SUCH_TASK`, the next request looks it up again.
pub fn service() -> Result<TaskId, Error> {
    if let Some(task) = TaskId::new(TCPIP.load(Ordering::Relaxed)) {
        return Ok(task);
    }
    let task = lookup(names::TCPIP)?;
    TCPIP.store(task.get(), Ordering::Relaxed);
    Ok(task)
}

/// Sends `msg` to the service; its reply replaces `msg`.
fn request(msg: &mut Message) -> Result<(), Error> {
    let result = call(service()?, msg);
    if let Err(Error::PeerDied | Error::NoSuchTask) = result {
        TCPIP.store(0, Ordering::Relaxed);
    }
    result
}

/// A request whose reply is one `u32` (a socket or a count).
fn request_u32(kind: u32, parts: &[&[u8]]) -> Result<u32, Error> {
    let mut msg = Message::new(kind);
    for part in parts {
        msg.push(part)?;
    }
    request(&mut msg)?;
    msg.u32_at(0).ok_or(Error::BadReply)
}

fn close(socket: SocketId) -> Result<(), Error> {
    let mut msg = Message::with_payload(CLOSE, &socket.to_le_bytes())?;
    request(&mut msg)
}

fn local_addr(socket: SocketId) -> Result<Addr, Error> {
    let mut msg = Message::with_payload(LOCAL_ADDR, &socket.to_le_bytes())?;
    request(&mut msg)?;
    Addr::decode(msg.payload()).map_err(|_| Error::BadReply)
}

/// A socket number that is closed when dropped.
struct Owned(SocketId);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = close(self.0);
    }
}

impl Owned {
    /// Closes now, reporting the answer (nothing is sent again on drop).
    fn close(self) -> Result<(), Error> {
        let id = self.0;
        core::mem::forget(self);
        close(id)
    }
}

/// A TCP socket listening for connections.
pub struct TcpListener(Owned);

impl TcpListener {
    /// Listens on `port` of every address the service has. `BUSY`: the port is taken.
    pub fn bind(port: u16) -> Result<TcpListener, Error> {
        request_u32(TCP_LISTEN, &[&port_payload(port)]).map(|id| TcpListener(Owned(id)))
    }

    /// Waits for a connection; the new socket and the peer's address.
    pub fn accept(&self) -> Result<(TcpStream, Addr), Error> {
        self.accept_with(false)
    }

    /// A pending connection, or `WOULD_BLOCK`.
    pub fn try_accept(&self) -> Result<(TcpStream, Addr), Error> {
        self.accept_with(true)
    }

    fn accept_with(&self, nonblock: bool) -> Result<(TcpStream, Addr), Error> {
        let mut msg = Message::with_payload(ACCEPT, &socket_header(self.0.0, nonblock))?;
        request(&mut msg)?;
        let id = msg.u32_at(0).ok_or(Error::BadReply)?;
        let stream = TcpStream(Owned(id));
        let peer = Addr::decode(msg.payload().get(4..).unwrap_or_default()).map_err(|_| Error::BadReply)?;
        Ok((stream, peer))
    }

    pub fn id(&self) -> SocketId {
        self.0.0
    }

    pub fn local_addr(&self) -> Result<Addr, Error> {
        local_addr(self.0.0)
    }

    pub fn close(self) -> Result<(), Error> {
        self.0.close()
    }
}

/// A TCP connection.
pub struct TcpStream(Owned);

impl TcpStream {
    /// Connects to `addr`; `REFUSED` if it cannot be reached.
    pub fn connect(addr: Addr) -> Result<TcpStream, Error> {
        request_u32(TCP_CONNECT, &[&addr.encode(), &0u32.to_le_bytes()]).map(|id| TcpStream(Owned(id)))
    }

    /// Sends the first [`MAX_SEND`] bytes of `data` at most, waiting until they are queued;
    /// how many were sent. `RESET`: the connection is broken.
    pub fn send(&self, data: &[u8]) -> Result<usize, Error> {
        self.send_with(data, false)
    }

    /// Sends what fits now of `data` (at least one byte), or fails with `WOULD_BLOCK`.
    pub fn try_send(&self, data: &[u8]) -> Result<usize, Error> {
        self.send_with(data, true)
    }

    fn send_with(&self, data: &[u8], nonblock: bool) -> Result<usize, Error> {
        let data = &data[..data.len().min(MAX_SEND)];
        request_u32(SEND, &[&socket_header(self.0.0, nonblock), data]).map(|n| n as usize)
    }

    /// Sends all of `data`, waiting as needed.
    pub fn send_all(&self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let n = self.send(data)?;
            data = &data[n.min(data.len())..];
        }
        Ok(())
    }

    /// Waits for data and reads up to `buf.len()` bytes of it (at most [`MAX_RECV`]); 0 means
    /// the peer closed its side.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.recv_with(buf, false)
    }

    /// Reads what is there, or fails with `WOULD_BLOCK`.
    pub fn try_recv(&self, buf: &mut [u8]) -> Result<usize, Error> {
        self.recv_with(buf, true)
    }

    fn recv_with(&self, buf: &mut [u8], nonblock: bool) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let max = buf.len().min(MAX_RECV) as u32;
        let mut msg = Message::new(RECV);
        msg.push(&socket_header(self.0.0, nonblock))?;
        msg.push(&max.to_le_bytes())?;
        request(&mut msg)?;
        let data = msg.payload();
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok(n)
    }

    pub fn id(&self) -> SocketId {
        self.0.0
    }

    pub fn local_addr(&self) -> Result<Addr, Error> {
        local_addr(self.0.0)
    }

    pub fn close(self) -> Result<(), Error> {
        self.0.close()
    }
}

/// A UDP socket.
pub struct UdpSocket(Owned);

impl UdpSocket {
    /// Binds `port` (0: any free port).
    pub fn bind(port: u16) -> Result<UdpSocket, Error> {
        request_u32(UDP_BIND, &[&port_payload(port)]).map(|id| UdpSocket(Owned(id)))
    }

    /// Sends one datagram of `data` (at most [`MAX_SEND_TO`] bytes) to `to`.
    pub fn send_to(&self, to: Addr, data: &[u8]) -> Result<usize, Error> {
        if data.len() > MAX_SEND_TO {
            return Err(Error::TooLarge);
        }
        request_u32(SEND_TO, &[&socket_header(self.0.0, false), &to.encode(), data]).map(|n| n as usize)
    }

    /// Waits for a datagram; its length (cut to `buf`) and sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, Addr), Error> {
        self.recv_from_with(buf, false)
    }

    /// A datagram that is there, or `WOULD_BLOCK`.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> Result<(usize, Addr), Error> {
        self.recv_from_with(buf, true)
    }

    fn recv_from_with(&self, buf: &mut [u8], nonblock: bool) -> Result<(usize, Addr), Error> {
        let mut msg = Message::with_payload(RECV_FROM, &socket_header(self.0.0, nonblock))?;
        request(&mut msg)?;
        let from = Addr::decode(msg.payload()).map_err(|_| Error::BadReply)?;
        let data = &msg.payload()[Addr::SIZE..];
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok((n, from))
    }

    pub fn id(&self) -> SocketId {
        self.0.0
    }

    pub fn local_addr(&self) -> Result<Addr, Error> {
        local_addr(self.0.0)
    }

    pub fn close(self) -> Result<(), Error> {
        self.0.close()
    }
}

/// A WAIT on several sockets: [`Wait::add`] each, then [`Wait::wait`]. Reusable: [`Wait::clear`].
pub struct Wait {
    entries: [u8; MAX_PAYLOAD - 8],
    len: usize,
    msg: Message,
}

impl Wait {
    pub const fn new() -> Wait {
        Wait { entries: [0; MAX_PAYLOAD - 8], len: 0, msg: Message::new(WAIT) }
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Adds `socket` with `interest` ([`READABLE`](super::READABLE) | [`WRITABLE`](super::WRITABLE));
    /// `TOO_LARGE` past [`MAX_WAIT`] sockets.
    pub fn add(&mut self, socket: SocketId, interest: u32) -> Result<(), Error> {
        if self.len / 8 >= MAX_WAIT {
            return Err(Error::TooLarge);
        }
        self.entries[self.len..self.len + 8].copy_from_slice(&wait_entry(socket, interest));
        self.len += 8;
        Ok(())
    }

    /// How many sockets were added.
    pub fn count(&self) -> usize {
        self.len / 8
    }

    /// Waits until one of the sockets is ready or `timeout_ns` passed ([`FOREVER`]: no
    /// timeout); the ready ones (none after a timeout).
    pub fn wait(&mut self, timeout_ns: u64) -> Result<Ready<'_>, Error> {
        self.msg.reset(WAIT);
        self.msg.push(&timeout_ns.to_le_bytes())?;
        self.msg.push(&self.entries[..self.len])?;
        request(&mut self.msg)?;
        Ok(Ready { bytes: self.msg.payload() })
    }

    /// [`Wait::wait`] without a timeout.
    pub fn wait_forever(&mut self) -> Result<Ready<'_>, Error> {
        self.wait(FOREVER)
    }
}

impl Default for Wait {
    fn default() -> Wait {
        Wait::new()
    }
}

/// The ready sockets of a WAIT: `(socket, ready bits)`.
pub struct Ready<'a> {
    bytes: &'a [u8],
}

impl Ready<'_> {
    pub fn iter(&self) -> impl Iterator<Item = (SocketId, u32)> + '_ {
        wait_entries(self.bytes)
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.len() < 8
    }
}

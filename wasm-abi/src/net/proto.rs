//! The socket protocol's kinds and payload layouts, with one parser for requests and the
//! encoders of replies: every `tcpip` implementation (smoltcp in Wasm, host sockets in the
//! hosted runner) and the client library use these, so the layouts are written once.
//!
//! All integers are little-endian. An address ([`Addr`], 8 bytes) is an IPv4 address (4 bytes,
//! network order as written `a.b.c.d`), a `u16` port and 2 zero bytes.

use crate::{Error, MAX_PAYLOAD};

/// TCP: listen on a port. Payload: `u16 port, u16 0`. Reply: `u32 socket`.
pub const TCP_LISTEN: u32 = 1;
/// TCP: connect. Payload: [`Addr`], `u32 flags`. Reply: `u32 socket` once connected.
pub const TCP_CONNECT: u32 = 2;
/// TCP: take a connection from a listener. Payload: `u32 listener, u32 flags`. Reply:
/// `u32 socket`, the peer's [`Addr`].
pub const ACCEPT: u32 = 3;
/// TCP: send. Payload: `u32 socket, u32 flags`, then the bytes (at most [`MAX_SEND`]). Reply:
/// `u32 sent`. Blocking: answered when all are queued; [`NONBLOCK`]: as many as fit (>= 1).
pub const SEND: u32 = 4;
/// TCP: receive. Payload: `u32 socket, u32 flags, u32 max`. Reply: 1 to `min(max, 4080)`
/// bytes; an empty payload means the peer closed its side (end of stream).
pub const RECV: u32 = 5;
/// Close a socket of any kind (TCP: the rest of what was sent is still delivered). Payload:
/// `u32 socket`. Reply: empty.
pub const CLOSE: u32 = 6;
/// UDP: bind a port (0: any). Payload: `u16 port, u16 0`. Reply: `u32 socket`.
pub const UDP_BIND: u32 = 7;
/// UDP: send one datagram. Payload: `u32 socket, u32 flags`, [`Addr`], then the bytes (at most
/// [`MAX_SEND_TO`]). Reply: `u32 sent`.
pub const SEND_TO: u32 = 8;
/// UDP: receive one datagram. Payload: `u32 socket, u32 flags`. Reply: the sender's [`Addr`],
/// then the bytes (a datagram longer than [`MAX_RECV_FROM`] is cut).
pub const RECV_FROM: u32 = 9;
/// Wait until one of several sockets is ready. Payload: `u64 timeout_ns` (0: answer at once;
/// [`FOREVER`]: no timeout), then up to [`MAX_WAIT`] entries `u32 socket, u32 interest`
/// ([`READABLE`] | [`WRITABLE`]). Reply: an entry `u32 socket, u32 ready` for each ready
/// socket (ready: the interest bits that hold now); empty when the timeout passed.
pub const WAIT: u32 = 10;
/// The local address of a socket. Payload: `u32 socket`. Reply: [`Addr`].
pub const LOCAL_ADDR: u32 = 11;

/// Request flag: fail with `WOULD_BLOCK` instead of waiting.
pub const NONBLOCK: u32 = 1;
/// WAIT interest and readiness: RECV, ACCEPT or RECV_FROM would not block (data, a pending
/// connection, a datagram, the end of the stream or an error).
pub const READABLE: u32 = 1;
/// WAIT interest and readiness: SEND would not block (room to send, or an error).
pub const WRITABLE: u32 = 2;
/// WAIT's timeout meaning "no timeout".
pub const FOREVER: u64 = u64::MAX;

/// The most bytes one SEND carries.
pub const MAX_SEND: usize = MAX_PAYLOAD - 8;
/// The most bytes one RECV returns.
pub const MAX_RECV: usize = MAX_PAYLOAD;
/// The most bytes one SEND_TO carries.
pub const MAX_SEND_TO: usize = MAX_PAYLOAD - 16;
/// The most bytes one RECV_FROM returns.
pub const MAX_RECV_FROM: usize = MAX_PAYLOAD - 8;
/// The most sockets one WAIT names.
pub const MAX_WAIT: usize = (MAX_PAYLOAD - 8) / 8;

/// An IPv4 socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Addr {
    pub ip: [u8; 4],
    pub port: u16,
}

impl Addr {
    pub const SIZE: usize = 8;

    pub const fn new(ip: [u8; 4], port: u16) -> Addr {
        Addr { ip, port }
    }

    pub fn encode(&self) -> [u8; Addr::SIZE] {
        let p = self.port.to_le_bytes();
        [self.ip[0], self.ip[1], self.ip[2], self.ip[3], p[0], p[1], 0, 0]
    }

    /// The address at the start of `bytes`; `BAD_ARGUMENT` if short or the reserved bytes are set.
    pub fn decode(bytes: &[u8]) -> Result<Addr, Error> {
        let b: &[u8; Addr::SIZE] = bytes.get(..Addr::SIZE).and_then(|b| b.try_into().ok()).ok_or(Error::BadArgument)?;
        if b[6] != 0 || b[7] != 0 {
            return Err(Error::BadArgument);
        }
        Ok(Addr { ip: [b[0], b[1], b[2], b[3]], port: u16::from_le_bytes([b[4], b[5]]) })
    }
}

/// A socket number, as the calling task knows it.
pub type SocketId = u32;

/// A parsed request: what every `tcpip` implementation answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    TcpListen { port: u16 },
    TcpConnect { addr: Addr, nonblock: bool },
    Accept { listener: SocketId, nonblock: bool },
    Send { socket: SocketId, nonblock: bool, data: &'a [u8] },
    Recv { socket: SocketId, nonblock: bool, max: usize },
    Close { socket: SocketId },
    UdpBind { port: u16 },
    SendTo { socket: SocketId, nonblock: bool, to: Addr, data: &'a [u8] },
    RecvFrom { socket: SocketId, nonblock: bool },
    /// `entries`: the raw `(socket, interest)` list, read with [`wait_entries`].
    Wait { timeout_ns: u64, entries: &'a [u8] },
    LocalAddr { socket: SocketId },
}

fn u16_at(p: &[u8], at: usize) -> Result<u16, Error> {
    p.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]])).ok_or(Error::BadArgument)
}

fn u32_at(p: &[u8], at: usize) -> Result<u32, Error> {
    p.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok_or(Error::BadArgument)
}

fn u64_at(p: &[u8], at: usize) -> Result<u64, Error> {
    Ok(u64::from(u32_at(p, at)?) | u64::from(u32_at(p, at + 4)?) << 32)
}

/// `flags` with only known bits: whether NONBLOCK is set.
fn flags(p: &[u8], at: usize) -> Result<bool, Error> {
    match u32_at(p, at)? {
        0 => Ok(false),
        NONBLOCK => Ok(true),
        _ => Err(Error::BadArgument),
    }
}

/// A port field: `u16 port, u16 0`, the whole payload.
fn port(p: &[u8]) -> Result<u16, Error> {
    if p.len() != 4 || u16_at(p, 2)? != 0 {
        return Err(Error::BadArgument);
    }
    u16_at(p, 0)
}

/// Exactly `n` bytes of payload.
fn exact(p: &[u8], n: usize) -> Result<(), Error> {
    if p.len() == n { Ok(()) } else { Err(Error::BadArgument) }
}

impl<'a> Request<'a> {
    /// Parses request `kind` with `payload`: `UNSUPPORTED` for an unknown kind, `BAD_ARGUMENT`
    /// for a malformed payload (wrong length, unknown flags, reserved bytes set, an empty SEND,
    /// a WAIT of no or too many sockets or unknown interest bits).
    pub fn parse(kind: u32, p: &'a [u8]) -> Result<Request<'a>, Error> {
        Ok(match kind {
            TCP_LISTEN => Request::TcpListen { port: port(p)? },
            UDP_BIND => Request::UdpBind { port: port(p)? },
            TCP_CONNECT => {
                exact(p, 12)?;
                Request::TcpConnect { addr: Addr::decode(p)?, nonblock: flags(p, 8)? }
            }
            ACCEPT => {
                exact(p, 8)?;
                Request::Accept { listener: u32_at(p, 0)?, nonblock: flags(p, 4)? }
            }
            SEND if p.len() > 8 => Request::Send { socket: u32_at(p, 0)?, nonblock: flags(p, 4)?, data: &p[8..] },
            RECV => {
                exact(p, 12)?;
                let max = (u32_at(p, 8)? as usize).min(MAX_RECV);
                if max == 0 {
                    return Err(Error::BadArgument);
                }
                Request::Recv { socket: u32_at(p, 0)?, nonblock: flags(p, 4)?, max }
            }
            CLOSE => {
                exact(p, 4)?;
                Request::Close { socket: u32_at(p, 0)? }
            }
            SEND_TO if p.len() >= 16 => Request::SendTo {
                socket: u32_at(p, 0)?,
                nonblock: flags(p, 4)?,
                to: Addr::decode(&p[8..])?,
                data: &p[16..],
            },
            RECV_FROM => {
                exact(p, 8)?;
                Request::RecvFrom { socket: u32_at(p, 0)?, nonblock: flags(p, 4)? }
            }
            WAIT => {
                let entries = p.get(8..).ok_or(Error::BadArgument)?;
                if entries.is_empty() || entries.len() % 8 != 0 {
                    return Err(Error::BadArgument);
                }
                if wait_entries(entries).any(|(_, interest)| interest == 0 || interest & !(READABLE | WRITABLE) != 0) {
                    return Err(Error::BadArgument);
                }
                Request::Wait { timeout_ns: u64_at(p, 0)?, entries }
            }
            LOCAL_ADDR => {
                exact(p, 4)?;
                Request::LocalAddr { socket: u32_at(p, 0)? }
            }
            SEND | SEND_TO => return Err(Error::BadArgument),
            _ => return Err(Error::Unsupported),
        })
    }
}

/// The `(socket, interest)` (or, in a reply, `(socket, ready)`) entries of a WAIT payload part.
pub fn wait_entries(bytes: &[u8]) -> impl Iterator<Item = (SocketId, u32)> + '_ {
    bytes.as_chunks::<8>().0.iter().map(|e| (u32::from_le_bytes([e[0], e[1], e[2], e[3]]), u32::from_le_bytes([e[4], e[5], e[6], e[7]])))
}

/// One WAIT entry, encoded.
pub fn wait_entry(socket: SocketId, bits: u32) -> [u8; 8] {
    let (s, b) = (socket.to_le_bytes(), bits.to_le_bytes());
    [s[0], s[1], s[2], s[3], b[0], b[1], b[2], b[3]]
}

/// The header of a request on a socket: `u32 socket, u32 flags`.
pub fn socket_header(socket: SocketId, nonblock: bool) -> [u8; 8] {
    wait_entry(socket, if nonblock { NONBLOCK } else { 0 })
}

/// A port payload (TCP_LISTEN, UDP_BIND).
pub fn port_payload(port: u16) -> [u8; 4] {
    let p = port.to_le_bytes();
    [p[0], p[1], 0, 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_and_reserved_bytes_are_checked() {
        let a = Addr::new([10, 0, 2, 15], 8080);
        assert_eq!(a.encode(), [10, 0, 2, 15, 0x90, 0x1f, 0, 0]);
        assert_eq!(Addr::decode(&a.encode()), Ok(a));
        assert_eq!(Addr::decode(&[10, 0, 2, 15, 1, 0, 0, 1]), Err(Error::BadArgument));
        assert_eq!(Addr::decode(&[1, 2, 3]), Err(Error::BadArgument));
    }

    #[test]
    fn requests_parse() {
        assert_eq!(Request::parse(TCP_LISTEN, &port_payload(80)), Ok(Request::TcpListen { port: 80 }));
        assert_eq!(Request::parse(UDP_BIND, &port_payload(0)), Ok(Request::UdpBind { port: 0 }));
        let mut send = socket_header(3, true).to_vec();
        send.extend_from_slice(b"hi");
        assert_eq!(Request::parse(SEND, &send), Ok(Request::Send { socket: 3, nonblock: true, data: b"hi" }));
        let mut recv = socket_header(4, false).to_vec();
        recv.extend_from_slice(&100_000u32.to_le_bytes());
        assert_eq!(Request::parse(RECV, &recv), Ok(Request::Recv { socket: 4, nonblock: false, max: MAX_RECV }));
        let mut connect = Addr::new([127, 0, 0, 1], 9).encode().to_vec();
        connect.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(Request::parse(TCP_CONNECT, &connect), Ok(Request::TcpConnect { addr: Addr::new([127, 0, 0, 1], 9), nonblock: false }));
        let mut send_to = socket_header(5, false).to_vec();
        send_to.extend_from_slice(&Addr::new([1, 2, 3, 4], 53).encode());
        send_to.extend_from_slice(b"q");
        assert_eq!(
            Request::parse(SEND_TO, &send_to),
            Ok(Request::SendTo { socket: 5, nonblock: false, to: Addr::new([1, 2, 3, 4], 53), data: b"q" })
        );
        let mut wait = 5_000u64.to_le_bytes().to_vec();
        wait.extend_from_slice(&wait_entry(1, READABLE));
        wait.extend_from_slice(&wait_entry(2, READABLE | WRITABLE));
        let Ok(Request::Wait { timeout_ns: 5000, entries }) = Request::parse(WAIT, &wait) else { panic!() };
        assert_eq!(wait_entries(entries).collect::<Vec<_>>(), [(1, READABLE), (2, READABLE | WRITABLE)]);
    }

    #[test]
    fn malformed_requests_are_refused() {
        assert_eq!(Request::parse(99, &[]), Err(Error::Unsupported));
        assert_eq!(Request::parse(TCP_LISTEN, &[80, 0]), Err(Error::BadArgument));
        assert_eq!(Request::parse(TCP_LISTEN, &[80, 0, 0, 1]), Err(Error::BadArgument));
        assert_eq!(Request::parse(SEND, &socket_header(1, false)), Err(Error::BadArgument), "nothing to send");
        assert_eq!(Request::parse(ACCEPT, &wait_entry(1, 2)), Err(Error::BadArgument), "unknown flag");
        assert_eq!(Request::parse(CLOSE, &[1, 0, 0]), Err(Error::BadArgument));
        let mut recv = socket_header(4, false).to_vec();
        recv.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(Request::parse(RECV, &recv), Err(Error::BadArgument), "max 0");
        let mut wait = 0u64.to_le_bytes().to_vec();
        assert_eq!(Request::parse(WAIT, &wait), Err(Error::BadArgument), "no sockets");
        wait.extend_from_slice(&wait_entry(1, 4));
        assert_eq!(Request::parse(WAIT, &wait), Err(Error::BadArgument), "unknown interest");
        assert_eq!(MAX_WAIT, 509);
        assert_eq!(MAX_SEND, 4072);
    }
}

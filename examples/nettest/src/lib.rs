//! nettest: checks the `tcpip` service through `hayabusa_abi::net`, on a looped wire (the
//! `netloop` driver: the server talks to itself at 10.0.2.15). A TCP handshake between its own
//! listener and connector, data both ways (256 KiB one way, byte-exact, paced by WAIT and
//! non-blocking requests), WAIT's timeout, end of stream, a refused connection, UDP, and
//! malformed requests. Prints one line per check, then `nettest: ok`, or `nettest: FAILED ...`
//! and exits 1. `run nettest leak` listens on port 8 and exits without closing it (the service
//! must free the port once it sees the task gone); `run nettest reuse` then listens there.
//! `run nettest echo`: an echo server on port 80 (one connection at a time, forever), for a
//! client on the host through the real NIC (`cargo xtask run` forwards 127.0.0.1:8080 to it).

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::net::{self, Addr, READABLE, TcpListener, TcpStream, UdpSocket, WRITABLE, Wait};
use hayabusa_abi::{Error, Message, call, console, kernel};

hayabusa_abi::main!(main);

const HOME: [u8; 4] = [10, 0, 2, 15];
/// Bytes sent one way in the bulk check.
const BULK: usize = 256 * 1024;

fn fail(what: &str, e: Option<Error>) -> ! {
    let mut line = console::Line::new();
    line.str("nettest: FAILED ").str(what);
    if let Some(e) = e {
        line.str(": ").error(e);
    }
    line.print();
    kernel::exit(1)
}

fn ok(what: &str) {
    console::Line::new().str("nettest: ").str(what).print();
}

fn must<T>(what: &str, r: Result<T, Error>) -> T {
    r.unwrap_or_else(|e| fail(what, Some(e)))
}

fn expect_err<T>(what: &str, r: Result<T, Error>, want: Error) {
    match r {
        Err(e) if e == want => console::Line::new().str("nettest: ").str(what).str(": ").str(e.name()).print(),
        Err(e) => fail(what, Some(e)),
        Ok(_) => fail(what, None),
    }
}

fn check(what: &str, cond: bool) {
    if !cond {
        fail(what, None);
    }
}

fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(7) ^ (i >> 9)) as u8
}

/// A raw request to the service: its status.
fn raw(kind: u32, payload: &[u8]) -> Result<(), Error> {
    let mut msg = Message::with_payload(kind, payload)?;
    call(net::service()?, &mut msg)
}

fn main() {
    let mut msg = Message::new(0);
    match kernel::args(&mut msg) {
        Ok(b"leak") => {
            let listener = must("listen on 8", TcpListener::bind(8));
            core::mem::forget(listener);
            ok("left port 8 open");
            return;
        }
        Ok(b"reuse") => return reuse(),
        Ok(b"echo") => echo(),
        _ => {}
    }
    tcp();
    udp();
    malformed();
    ok("ok");
}

/// Echoes every connection to port 80 until its peer closes; never returns.
fn echo() -> ! {
    let listener = must("listen on 80", TcpListener::bind(80));
    ok("echo on port 80");
    let mut buf = [0u8; 4080];
    loop {
        let Ok((stream, _)) = listener.accept() else { continue };
        loop {
            match stream.recv(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if stream.send_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
    }
}

/// Listening on port 8 again, which an ended task held: the service frees it within a sweep.
fn reuse() {
    for _ in 0..30 {
        match TcpListener::bind(8) {
            Ok(_) => return ok("port 8 free again after its holder ended"),
            Err(Error::Busy) => {
                let _ = kernel::set_timer(100_000_000);
                let _ = hayabusa_abi::recv(Some(hayabusa_abi::TaskId::KERNEL), &mut Message::new(0));
            }
            Err(e) => fail("listen on 8", Some(e)),
        }
    }
    fail("port 8 still taken 3 s after its holder ended", Some(Error::Busy));
}

fn tcp() {
    let listener = must("listen on 7", TcpListener::bind(7));
    check("listener's address", listener.local_addr() == Ok(Addr::new(HOME, 7)));
    expect_err("listen on 7 again", TcpListener::bind(7), Error::Busy);
    expect_err("accept with none pending", listener.try_accept(), Error::WouldBlock);

    // A blocking connect completes against the listener's backlog before anyone accepts.
    let client = must("connect to 10.0.2.15:7", TcpStream::connect(Addr::new(HOME, 7)));
    let (server, peer) = must("accept", listener.accept());
    let local = must("client's address", client.local_addr());
    check("accept names the client's address", peer == local && local.ip == HOME && local.port != 0);
    ok("handshake: connect and accept");

    let mut buf = [0u8; 4096];
    expect_err("recv with no data", server.try_recv(&mut buf), Error::WouldBlock);
    let mut wait = Wait::new();
    must("wait entry", wait.add(server.id(), READABLE));
    let start = kernel::uptime_ns().unwrap_or(0);
    check("wait times out empty", must("wait 30 ms", wait.wait(30_000_000)).is_empty());
    check("wait took its timeout", kernel::uptime_ns().unwrap_or(0) - start >= 30_000_000);
    ok("wait: 30 ms timeout, nothing ready");

    must("send hello", client.send_all(b"hello"));
    let ready = must("wait for data", wait.wait(net::FOREVER));
    check("wait reports the server readable", ready.iter().any(|(id, bits)| id == server.id() && bits == READABLE));
    let n = must("recv hello", server.recv(&mut buf));
    check("hello arrives", &buf[..n] == b"hello");
    must("send reply", server.send_all(b"world!"));
    let n = must("recv reply", client.recv(&mut buf));
    check("reply arrives", &buf[..n] == b"world!");
    ok("data both ways");

    bulk(&client, &server);

    must("client close", client.close());
    let n = must("recv after the peer closed", server.recv(&mut buf));
    check("end of stream is an empty recv", n == 0);
    ok("end of stream after close");
    must("server close", server.close());

    expect_err("connect to a closed port", TcpStream::connect(Addr::new(HOME, 9)), Error::Refused);
    must("close listener", listener.close());
    let again = must("listen on 7 after close", TcpListener::bind(7));
    drop(again);
}

/// BULK bytes from client to server through 32 KiB buffers: non-blocking sends and receives,
/// with WAIT on both when neither can go on.
fn bulk(client: &TcpStream, server: &TcpStream) {
    let (mut sent, mut got) = (0usize, 0usize);
    let mut chunk = [0u8; 4072];
    let mut buf = [0u8; 4080];
    let mut wait = Wait::new();
    while got < BULK {
        let mut progress = false;
        if sent < BULK {
            let n = chunk.len().min(BULK - sent);
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                *b = pattern(sent + i);
            }
            match client.try_send(&chunk[..n]) {
                Ok(k) => {
                    sent += k;
                    progress = true;
                }
                Err(Error::WouldBlock) => {}
                Err(e) => fail("bulk send", Some(e)),
            }
        }
        match server.try_recv(&mut buf) {
            Ok(0) => fail("bulk: end of stream early", None),
            Ok(k) => {
                if buf[..k].iter().enumerate().any(|(i, &b)| b != pattern(got + i)) {
                    fail("bulk: data differs", None);
                }
                got += k;
                progress = true;
            }
            Err(Error::WouldBlock) => {}
            Err(e) => fail("bulk recv", Some(e)),
        }
        if !progress {
            wait.clear();
            must("wait entry", wait.add(server.id(), READABLE));
            if sent < BULK {
                must("wait entry", wait.add(client.id(), WRITABLE));
            }
            check("bulk: wait answered", !must("bulk wait", wait.wait(5_000_000_000)).is_empty());
        }
    }
    ok("256 KiB one way, byte-exact");
}

fn udp() {
    let a = must("udp bind 5353", UdpSocket::bind(5353));
    expect_err("udp bind 5353 again", UdpSocket::bind(5353), Error::Busy);
    let b = must("udp bind any", UdpSocket::bind(0));
    let b_addr = must("udp address", b.local_addr());
    check("udp port chosen", b_addr.ip == HOME && b_addr.port != 0);
    let mut buf = [0u8; 64];
    expect_err("recv_from with nothing", a.try_recv_from(&mut buf), Error::WouldBlock);
    must("send_to", b.send_to(Addr::new(HOME, 5353), b"datagram"));
    let (n, from) = must("recv_from", a.recv_from(&mut buf));
    check("datagram and sender", &buf[..n] == b"datagram" && from == b_addr);
    expect_err("a datagram over one packet", b.send_to(Addr::new(HOME, 5353), &[0; 2000]), Error::TooLarge);
    ok("udp datagram");
}

fn malformed() {
    let mut recv = [0u8; 12];
    recv[..4].copy_from_slice(&999u32.to_le_bytes());
    recv[8..].copy_from_slice(&100u32.to_le_bytes());
    expect_err("recv on a socket we do not have", raw(net::RECV, &recv), Error::BadArgument);
    expect_err("an unknown kind", raw(99, &[]), Error::Unsupported);
    expect_err("a short listen", raw(net::TCP_LISTEN, &[1]), Error::BadArgument);
    let u = must("udp bind", UdpSocket::bind(0));
    let mut accept = [0u8; 8];
    accept[..4].copy_from_slice(&u.id().to_le_bytes());
    expect_err("accept on a udp socket", raw(net::ACCEPT, &accept), Error::BadArgument);
    expect_err("close twice", raw(net::CLOSE, &999u32.to_le_bytes()), Error::BadArgument);
    ok("malformed requests refused");
}

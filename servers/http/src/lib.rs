//! `http`: an HTTP/1.1 server over the `tcpip` service, one task, one thread. It keeps up to
//! [`MAX_CONNS`] connections with keep-alive and answers them concurrently: one blocking WAIT
//! on the listener and every connection (readable while reading a request, writable while
//! sending a response), then non-blocking ACCEPT, RECV and SEND on the ready ones. Routes: `/`
//! a status page, `/api/tasks` the task table as JSON (kernel request TASKS), anything else a
//! static file `www/PATH` of the ramdisk (READ_FILE, streamed a chunk at a time). Malformed,
//! oversized or body-carrying requests get 400, 431 or 405 and the connection ends; nothing a
//! client sends ends the server. Connections idle for [`IDLE_NS`] are closed.
//!
//! ARGS: the port (default 80; on the hosted runner mapped with `--tcp-port 80=HOST`).

#![no_std]
#![forbid(unsafe_code)]

mod conn;
mod out;
mod pages;

use hayabusa_abi::net::{READABLE, TcpListener, WRITABLE, Wait};
use hayabusa_abi::{Error, Message, console, kernel, names};

use conn::{Conn, Next};
use pages::Stats;

/// Connections served at once; more wait in the listener's backlog.
pub const MAX_CONNS: usize = 32;
/// A connection with no progress for this long is closed.
pub const IDLE_NS: u64 = 10_000_000_000;
/// How often idle connections are looked for, at most.
const TICK_NS: u64 = 1_000_000_000;

struct Server {
    conns: [Conn; MAX_CONNS],
    stats: Stats,
    msg: Message,
}

static SERVER: spin::Mutex<Server> =
    spin::Mutex::new(Server { conns: [const { Conn::new() }; MAX_CONNS], stats: Stats { requests: 0, connections: 0, open: 0, bad_requests: 0, port: 0 }, msg: Message::new(0) });

hayabusa_abi::main!(main);

fn port() -> u16 {
    let mut msg = Message::new(0);
    let args = kernel::args(&mut msg).unwrap_or_default();
    core::str::from_utf8(args).ok().and_then(|a| a.trim().parse().ok()).unwrap_or(80)
}

fn fail(what: &str, e: Error) -> ! {
    console::Line::new().str("http: ").str(what).str(": ").error(e).print();
    kernel::exit(e.code())
}

/// How long to wait for tcpip to register, in milliseconds (both may start at boot).
const TCPIP_WAIT_MS: u64 = 10_000;

fn main() {
    let port = port();
    if let Err(e) = hayabusa_abi::lookup_waiting(names::TCPIP, TCPIP_WAIT_MS, &mut Message::new(0)) {
        fail("no tcpip", e);
    }
    let listener = TcpListener::bind(port).unwrap_or_else(|e| fail("listen", e));
    console::Line::new().str("http: serving on port ").int(port).print();
    let mut wait = Wait::new();
    let mut server = SERVER.lock();
    let server = &mut *server;
    server.stats.port = port;
    loop {
        wait.clear();
        let open = server.conns.iter().filter(|c| c.sock.is_some()).count();
        server.stats.open = open;
        if open < MAX_CONNS {
            let _ = wait.add(listener.id(), READABLE);
        }
        for c in server.conns.iter() {
            if let Some(sock) = &c.sock {
                let _ = wait.add(sock.id(), if c.next() == Next::Write { WRITABLE } else { READABLE });
            }
        }
        let ready = wait.wait(TICK_NS).unwrap_or_else(|e| fail("wait", e));
        let now = kernel::uptime_ns().unwrap_or_else(|e| fail("uptime", e));
        for (socket, bits) in ready.iter() {
            if socket == listener.id() {
                accept(&listener, server, now);
                continue;
            }
            let Server { conns, stats, msg } = &mut *server;
            let Some(c) = conns.iter_mut().find(|c| c.sock.as_ref().is_some_and(|s| s.id() == socket)) else { continue };
            let next = if bits & WRITABLE != 0 { c.on_writable(msg, stats, now) } else { c.on_readable(msg, stats, now) };
            if next == Next::Close {
                c.close();
            }
        }
        for c in server.conns.iter_mut() {
            if c.sock.is_some() && now.saturating_sub(c.last_active) > IDLE_NS {
                c.close();
            }
        }
    }
}

/// Takes pending connections into free slots.
fn accept(listener: &TcpListener, server: &mut Server, now: u64) {
    while let Some(slot) = server.conns.iter_mut().find(|c| c.sock.is_none()) {
        match listener.try_accept() {
            Ok((sock, _peer)) => {
                slot.open(sock, now);
                server.stats.connections += 1;
            }
            // tcpip is gone: nothing more to serve.
            Err(e @ (Error::PeerDied | Error::NoSuchTask | Error::BadReply)) => fail("accept", e),
            // Nothing pending, a connection reset before it was taken, no socket left: later.
            Err(_) => return,
        }
    }
}

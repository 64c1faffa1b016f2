//! One connection: a bounded input buffer the request head is parsed from, a bounded output
//! buffer the response is sent from, and for a static file the rest of its body, read from the
//! ramdisk a chunk at a time as the output drains. Requests on one connection are answered in
//! order (pipelined ones wait in the input buffer).
use hayabusa_abi::net::TcpStream;
use hayabusa_abi::{Error, Message, kernel};

use crate::out::Out;
use crate::pages::{self, Stats};

/// The largest request head (line and headers); a larger one gets 431 and the connection ends.
pub const IN_CAP: usize = 8192;
/// The output buffer: a response head and a generated page, or file chunks.
pub const OUT_CAP: usize = 16384;
/// Room kept before a generated body for its head (written afterwards, right before it).
const HEAD_ROOM: usize = 512;
/// Headers a request may have.
const MAX_HEADERS: usize = 32;
/// The longest ramdisk name a path may map to.
const MAX_FILE_NAME: usize = 128;

/// A static file's body still to send.
struct FileBody {
    name: [u8; MAX_FILE_NAME],
    name_len: usize,
    offset: u64,
    size: u64,
}

pub struct Conn {
    pub sock: Option<TcpStream>,
    input: [u8; IN_CAP],
    in_len: usize,
    out: [u8; OUT_CAP],
    out_start: usize,
    out_end: usize,
    file: Option<FileBody>,
    /// End the connection once the response is sent.
    close_after: bool,
    /// The peer closed its side: answer what is buffered, then end.
    peer_done: bool,
    /// Uptime of the last progress, for the idle timeout.
    pub last_active: u64,
}

/// What a connection needs next.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Read,
    Write,
    Close,
}

/// A response to send.
struct Reply<'a> {
    status: &'a str,
    content_type: &'a str,
    extra_header: &'a str,
}

impl Conn {
    pub const fn new() -> Conn {
        Conn {
            sock: None,
            input: [0; IN_CAP],
            in_len: 0,
            out: [0; OUT_CAP],
            out_start: 0,
            out_end: 0,
            file: None,
            close_after: false,
            peer_done: false,
            last_active: 0,
        }
    }

    /// Takes a new connection into this (free) slot.
    pub fn open(&mut self, sock: TcpStream, now: u64) {
        self.sock = Some(sock);
        self.in_len = 0;
        self.out_start = 0;
        self.out_end = 0;
        self.file = None;
        self.close_after = false;
        self.peer_done = false;
        self.last_active = now;
    }

    /// Ends the connection (the socket is closed as it drops).
    pub fn close(&mut self) {
        self.sock = None;
        self.file = None;
    }

    pub fn next(&self) -> Next {
        if self.out_start < self.out_end || self.file.is_some() {
            Next::Write
        } else if self.close_after || self.peer_done {
            Next::Close
        } else {
            Next::Read
        }
    }

    /// The socket is readable: read what is there, answer complete requests.
    pub fn on_readable(&mut self, msg: &mut Message, stats: &mut Stats, now: u64) -> Next {
        let Some(sock) = &self.sock else { return Next::Close };
        if self.in_len < IN_CAP {
            match sock.try_recv(&mut self.input[self.in_len..]) {
                Ok(0) => self.peer_done = true,
                Ok(n) => {
                    self.in_len += n;
                    self.last_active = now;
                }
                Err(Error::WouldBlock) => {}
                Err(_) => return Next::Close,
            }
        }
        self.serve_buffered(msg, stats);
        self.next()
    }

    /// The socket is writable: send what is buffered, refill from a file, and when the response
    /// is done go on with a pipelined request.
    pub fn on_writable(&mut self, msg: &mut Message, stats: &mut Stats, now: u64) -> Next {
        loop {
            let Some(sock) = &self.sock else { return Next::Close };
            if self.out_start < self.out_end {
                match sock.try_send(&self.out[self.out_start..self.out_end]) {
                    Ok(n) => {
                        self.out_start += n;
                        self.last_active = now;
                        continue;
                    }
                    Err(Error::WouldBlock) => return Next::Write,
                    Err(_) => return Next::Close,
                }
            }
            if self.file.is_some() {
                if self.refill(msg).is_err() {
                    // The head is gone already: all we can do is end the connection.
                    return Next::Close;
                }
                continue;
            }
            self.serve_buffered(msg, stats);
            return self.next();
        }
    }

    /// Fills the output buffer with the next chunks of the file being sent.
    fn refill(&mut self, msg: &mut Message) -> Result<(), Error> {
        self.out_start = 0;
        self.out_end = 0;
        while let Some(file) = &mut self.file {
            if file.offset >= file.size {
                self.file = None;
                break;
            }
            if OUT_CAP - self.out_end < kernel::READ_FILE_CHUNK {
                break;
            }
            let (size, chunk) = kernel::read_file(msg, &file.name[..file.name_len], file.offset)?;
            if size != file.size || chunk.is_empty() {
                return Err(Error::BadReply);
            }
            let n = chunk.len().min((file.size - file.offset) as usize);
            self.out[self.out_end..self.out_end + n].copy_from_slice(&chunk[..n]);
            self.out_end += n;
            file.offset += n as u64;
        }
        Ok(())
    }

    /// Answers the request at the start of the input, if it is complete and no response is
    /// being sent.
    fn serve_buffered(&mut self, msg: &mut Message, stats: &mut Stats) {
        if self.next() != Next::Read || self.in_len == 0 {
            return;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let parsed = request.parse(&self.input[..self.in_len]);
        let parsed = match parsed {
            Ok(httparse::Status::Complete(used)) => Ok(Some((used, route(&request)))),
            Ok(httparse::Status::Partial) => Ok(None),
            Err(e) => Err(e),
        };
        let (used, route) = match parsed {
            Ok(Some(done)) => done,
            Ok(None) if self.in_len < IN_CAP && !self.peer_done => return,
            Ok(None) if self.peer_done => (self.in_len, Route::Bad("400 Bad Request")),
            Ok(None) | Err(httparse::Error::TooManyHeaders) => {
                (self.in_len, Route::Bad("431 Request Header Fields Too Large"))
            }
            Err(_) => (self.in_len, Route::Bad("400 Bad Request")),
        };
        stats.requests += 1;
        self.input.copy_within(used..self.in_len, 0);
        self.in_len -= used;
        self.respond(route, msg, stats);
    }

    fn respond(&mut self, route: Route, msg: &mut Message, stats: &mut Stats) {
        match route {
            Route::Bad(status) => {
                stats.bad_requests += 1;
                self.close_after = true;
                self.page(Reply { status, content_type: "text/plain", extra_header: "" }, |out| {
                    out.str(status).str("\n");
                    Ok(())
                }, true);
            }
            Route::Method { close } => {
                self.close_after |= close;
                let reply = Reply { status: "405 Method Not Allowed", content_type: "text/plain", extra_header: "Allow: GET, HEAD\r\n" };
                self.page(reply, |out| {
                    out.str("only GET and HEAD\n");
                    Ok(())
                }, true);
            }
            Route::Status { close, head } => {
                self.close_after |= close;
                let s = *stats;
                self.page(Reply { status: "200 OK", content_type: "text/html; charset=utf-8", extra_header: "" }, |out| pages::status(out, msg, &s), !head);
            }
            Route::Tasks { close, head } => {
                self.close_after |= close;
                self.page(Reply { status: "200 OK", content_type: "application/json", extra_header: "" }, |out| pages::tasks(out, msg), !head);
            }
            Route::File { close, head, path, len } => {
                self.close_after |= close;
                self.file(&path[..len], msg, head);
            }
        }
    }

    /// A response whose body `body` writes (into the output buffer after room for the head);
    /// the head is written right before it. A body that fails becomes a 500.
    fn page(&mut self, reply: Reply, body: impl FnOnce(&mut Out) -> Result<(), Error>, with_body: bool) {
        let (head_room, rest) = self.out.split_at_mut(HEAD_ROOM);
        let mut out = Out::new(rest);
        let reply = match body(&mut out) {
            Ok(()) if !out.overflowed() => reply,
            _ => {
                out = Out::new(rest);
                out.str("500 Internal Server Error\n");
                self.close_after = true;
                Reply { status: "500 Internal Server Error", content_type: "text/plain", extra_header: "" }
            }
        };
        let body_len = if with_body { out.len() } else { 0 };
        let mut head = [0u8; HEAD_ROOM];
        let head_len = write_head(&mut head, &reply, out.len() as u64, self.close_after);
        head_room[HEAD_ROOM - head_len..].copy_from_slice(&head[..head_len]);
        self.out_start = HEAD_ROOM - head_len;
        self.out_end = HEAD_ROOM + body_len;
    }

    /// A static file: `www` + the path (`index.html` for a path ending in `/`).
    fn file(&mut self, path: &[u8], msg: &mut Message, head_only: bool) {
        let mut name = [0u8; MAX_FILE_NAME];
        let mut n = Out::new(&mut name);
        n.str("www").bytes(path);
        if path.ends_with(b"/") {
            n.str("index.html");
        }
        let (name_len, too_long) = (n.len(), n.overflowed());
        let found = if too_long { Err(Error::NotFound) } else { kernel::read_file(msg, &name[..name_len], 0).map(|(size, _)| size) };
        let size = match found {
            Ok(size) => size,
            Err(e) => {
                let status = match e {
                    Error::NotFound => "404 Not Found",
                    Error::Denied => "403 Forbidden",
                    _ => "500 Internal Server Error",
                };
                self.page(Reply { status, content_type: "text/plain", extra_header: "" }, |out| {
                    out.str(status).str("\n");
                    Ok(())
                }, !head_only);
                return;
            }
        };
        let reply = Reply { status: "200 OK", content_type: content_type(path), extra_header: "" };
        let head_len = write_head(&mut self.out, &reply, size, self.close_after);
        self.out_start = 0;
        self.out_end = head_len;
        if !head_only && size > 0 {
            self.file = Some(FileBody { name, name_len, offset: 0, size });
        }
    }
}

/// Writes the response head into `buf`; its length.
fn write_head(buf: &mut [u8], reply: &Reply, content_length: u64, close: bool) -> usize {
    let mut out = Out::new(buf);
    out.str("HTTP/1.1 ").str(reply.status).str("\r\nServer: hayabusa-http\r\nContent-Type: ").str(reply.content_type);
    out.str("\r\nContent-Length: ").int(content_length).str("\r\n").str(reply.extra_header);
    out.str(if close { "Connection: close\r\n\r\n" } else { "Connection: keep-alive\r\n\r\n" });
    out.len()
}

fn content_type(path: &[u8]) -> &'static str {
    let ext = path.rsplit(|&b| b == b'.').next().unwrap_or_default();
    match ext {
        _ if path.ends_with(b"/") => "text/html; charset=utf-8",
        b"html" | b"htm" => "text/html; charset=utf-8",
        b"txt" => "text/plain; charset=utf-8",
        b"json" => "application/json",
        b"css" => "text/css",
        b"js" => "text/javascript",
        b"svg" => "image/svg+xml",
        b"png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// The longest path served.
const MAX_PATH: usize = MAX_FILE_NAME - 16;

/// What a request asks for.
enum Route {
    Bad(&'static str),
    Method { close: bool },
    Status { close: bool, head: bool },
    Tasks { close: bool, head: bool },
    File { close: bool, head: bool, path: [u8; MAX_PATH], len: usize },
}

/// Routes a parsed request. HTTP/1.0 and `Connection: close` end the connection after the
/// response; a request with a body is refused (400: this server reads none).
fn route(request: &httparse::Request) -> Route {
    let (Some(method), Some(path), Some(version)) = (request.method, request.path, request.version) else {
        return Route::Bad("400 Bad Request");
    };
    let mut close = version == 0;
    for h in request.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            let v = h.value;
            if v.eq_ignore_ascii_case(b"close") {
                close = true;
            } else if v.eq_ignore_ascii_case(b"keep-alive") {
                close = false;
            }
        }
        let body = (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0") || h.name.eq_ignore_ascii_case("transfer-encoding");
        if body {
            return Route::Bad("400 Bad Request");
        }
    }
    let head = match method {
        "GET" => false,
        "HEAD" => true,
        _ => return Route::Method { close },
    };
    let path = path.as_bytes();
    let path = &path[..path.iter().position(|&b| b == b'?').unwrap_or(path.len())];
    let allowed = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_');
    if !path.starts_with(b"/") || !path.iter().all(allowed) || path.windows(2).any(|w| w == b"..") || path.windows(2).any(|w| w == b"//") {
        return Route::Bad("400 Bad Request");
    }
    match path {
        b"/" => Route::Status { close, head },
        b"/api/tasks" => Route::Tasks { close, head },
        _ if path.len() > MAX_PATH => Route::Bad("414 URI Too Long"),
        _ => {
            let mut copy = [0; MAX_PATH];
            copy[..path.len()].copy_from_slice(path);
            Route::File { close, head, path: copy, len: path.len() }
        }
    }
}

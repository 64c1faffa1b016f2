//! The client side of the web server's tests (`servers/http`), by address, so the same checks
//! run against the hosted runner (`tests/tests/http_hosted.rs`) and the kernel (QEMU's port
//! forward): a real HTTP client (`ureq`) for pages, JSON, files and load, and raw sockets for
//! what a client library will not send (keep-alive on one known connection, garbage, a request
//! cut short).
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub use crate::free_port;

/// A client with keep-alive (a pool of connections) that reports every status as it is.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_idle_connections_per_host(64)
        .build()
        .into()
}

/// A response: status, `Content-Type`, body.
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// `GET http://addr/path` with `agent`.
pub fn get(agent: &ureq::Agent, addr: SocketAddr, path: &str) -> Result<Response, String> {
    let mut response = agent.get(&format!("http://{addr}{path}")).call().map_err(|e| format!("GET {path}: {e}"))?;
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let body = response.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| format!("GET {path}: body: {e}"))?;
    Ok(Response { status, content_type, body })
}

/// Waits until `addr` accepts connections (the server started), up to `timeout`.
pub fn wait_listening(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listens on {addr} after {timeout:?}"))
}

/// The task names of `/api/tasks` (checked to be JSON of the documented shape).
pub fn task_names(agent: &ureq::Agent, addr: SocketAddr) -> Result<Vec<String>, String> {
    let r = get(agent, addr, "/api/tasks")?;
    if r.status != 200 || r.content_type != "application/json" {
        return Err(format!("/api/tasks: status {} type {:?}", r.status, r.content_type));
    }
    let json: serde_json::Value = serde_json::from_slice(&r.body).map_err(|e| format!("/api/tasks is not JSON: {e}"))?;
    let tasks = json["tasks"].as_array().ok_or("/api/tasks: no \"tasks\" array")?;
    if json["complete"] != serde_json::Value::Bool(true) || !json["uptime_ns"].is_u64() {
        return Err(format!("/api/tasks: bad shape: {json}"));
    }
    tasks
        .iter()
        .map(|t| {
            let ok = t["id"].is_i64() && t["state"].is_string() && t["memory_pages"].is_u64() && (t["service"].is_string() || t["service"].is_null());
            t["name"].as_str().filter(|_| ok).map(str::to_string).ok_or_else(|| format!("/api/tasks: bad task {t}"))
        })
        .collect()
}

/// Reads one response from `stream` (head and a `Content-Length` body); its status and body.
/// `data`: bytes read before and not used yet (pipelined responses come in one read), kept for
/// the next call.
pub fn read_response(stream: &mut TcpStream, data: &mut Vec<u8>) -> Result<(u16, Vec<u8>), String> {
    let mut byte = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut byte) {
            Ok(0) => return Err(format!("connection closed after {} bytes", data.len())),
            Ok(n) => data.extend_from_slice(&byte[..n]),
            Err(e) => return Err(format!("reading a response: {e}")),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("bad status line: {head:?}"))?;
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no Content-Length: {head:?}"))?;
    while data.len() < head_end + length {
        match stream.read(&mut byte) {
            Ok(0) => return Err("connection closed inside a body".into()),
            Ok(n) => data.extend_from_slice(&byte[..n]),
            Err(e) => return Err(format!("reading a body: {e}")),
        }
    }
    let body = data[head_end..head_end + length].to_vec();
    data.drain(..head_end + length);
    Ok((status, body))
}

/// Sends `requests` GETs of `/` one after the other on one connection (keep-alive), and
/// pipelined: all of them at once, then every response in order. The statuses.
pub fn keep_alive(addr: SocketAddr, requests: usize) -> Result<Vec<u16>, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(20))).map_err(|e| e.to_string())?;
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let (mut statuses, mut data) = (Vec::new(), Vec::new());
    for _ in 0..requests {
        stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        statuses.push(read_response(&mut stream, &mut data)?.0);
    }
    stream.write_all(request.repeat(requests).as_bytes()).map_err(|e| e.to_string())?;
    for _ in 0..requests {
        statuses.push(read_response(&mut stream, &mut data)?.0);
    }
    if !data.is_empty() {
        return Err(format!("{} bytes after the last response", data.len()));
    }
    Ok(statuses)
}

/// Sends `bytes` on a new connection and returns what came back until the server closed it
/// (or 10 s passed).
pub fn raw(addr: SocketAddr, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    stream.write_all(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    Ok(out)
}

/// What a load run did.
#[derive(Debug)]
pub struct Load {
    pub ok: usize,
    pub errors: Vec<String>,
    pub elapsed: Duration,
}

/// `requests` GETs of `paths` in turn (with the body length each must have, if known), spread
/// over `connections` clients that each keep their connection alive; every status other than
/// 200, wrong body length or failed request is an error.
pub fn load(addr: SocketAddr, requests: usize, connections: usize, paths: &[(&str, Option<usize>)]) -> Load {
    let start = Instant::now();
    let results: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..connections)
            .map(|c| {
                s.spawn(move || {
                    let agent = agent();
                    let (mut ok, mut errors) = (0, Vec::new());
                    for i in (c..requests).step_by(connections) {
                        let (path, len) = paths[i % paths.len()];
                        match get(&agent, addr, path) {
                            Ok(r) if r.status == 200 && len.is_none_or(|len| r.body.len() == len) => ok += 1,
                            Ok(r) => errors.push(format!("GET {path}: status {}, {} bytes", r.status, r.body.len())),
                            Err(e) => errors.push(e),
                        }
                    }
                    (ok, errors)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|_| (0, vec!["a client thread panicked".into()]))).collect()
    });
    let mut load = Load { ok: 0, errors: Vec::new(), elapsed: start.elapsed() };
    for (ok, errors) in results {
        load.ok += ok;
        load.errors.extend(errors);
    }
    load
}

/// The bytes of `www/big.bin` as xtask generates them (xtask/src/www.rs): xorshift64 from a
/// fixed seed, 8 bytes per step, `len` bytes.
pub fn big_file(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Length of `www/big.bin`.
pub const BIG_LEN: usize = (1 << 20) + 12_345;

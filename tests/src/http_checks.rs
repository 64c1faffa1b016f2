//! What the web server must do, whichever system serves it: the checks `http_hosted.rs` (the
//! hosted runner, native tcpip on host sockets) and `http_kernel.rs` (the kernel: tcpip over the
//! virtio-net driver, through QEMU's port forward) both run against the same `http.wasm`.
use std::net::{SocketAddr, TcpStream};

use crate::http::{self, BIG_LEN, agent, get};

/// `programs/www/index.html`, as the server must send it.
pub const INDEX: &[u8] = include_bytes!("../../programs/www/index.html");

/// The status page, `/api/tasks` listing `servers`, 404, 400 for a way out of `www/`, a static
/// file and one of over 1 MiB byte-exact, keep-alive and pipelining, HEAD, 405.
pub fn pages_json_files_and_keep_alive(addr: SocketAddr, servers: &[&str]) {
    let agent = agent();
    let status = get(&agent, addr, "/").unwrap();
    assert_eq!((status.status, status.content_type.as_str()), (200, "text/html; charset=utf-8"));
    let page = String::from_utf8(status.body).unwrap();
    assert!(page.contains("<h1>Hayabusa</h1>") && page.contains("port 80") && page.contains("<td>tcpip</td>"), "{page}");

    let names = http::task_names(&agent, addr).unwrap();
    for server in servers {
        assert!(names.iter().any(|n| n == server), "/api/tasks lacks {server}: {names:?}");
    }

    let missing = get(&agent, addr, "/no/such/file.txt").unwrap();
    assert_eq!(missing.status, 404);
    assert_eq!(get(&agent, addr, "/../manifest").unwrap().status, 400, "no way out of www/");
    let index = get(&agent, addr, "/index.html").unwrap();
    assert_eq!((index.status, index.content_type.as_str(), index.body.as_slice()), (200, "text/html; charset=utf-8", INDEX));

    let big = get(&agent, addr, "/big.bin").unwrap();
    assert_eq!((big.status, big.body.len()), (200, BIG_LEN));
    assert!(big.body == http::big_file(BIG_LEN), "www/big.bin differs");

    let statuses = http::keep_alive(addr, 5).unwrap();
    assert_eq!(statuses, [200; 10], "five requests in turn, then five pipelined, on one connection");
    let head = http::raw(addr, b"HEAD /big.bin HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains(&format!("Content-Length: {BIG_LEN}\r\n")) && head.ends_with("\r\n\r\n"), "{head}");
    let post = http::raw(addr, b"POST / HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
    assert!(post.starts_with(b"HTTP/1.1 405 "), "{}", String::from_utf8_lossy(&post));
}

/// `requests` requests over `connections` keep-alive connections, every one answered right.
pub fn load(addr: SocketAddr, requests: usize, connections: usize) {
    let load = http::load(addr, requests, connections, &[("/index.html", Some(INDEX.len())), ("/", None), ("/api/tasks", None)]);
    println!("load: {} requests in {:?} ({:.0}/s)", load.ok, load.elapsed, load.ok as f64 / load.elapsed.as_secs_f64());
    assert!(load.errors.is_empty(), "{} errors, first: {:?}", load.errors.len(), load.errors.first());
    assert_eq!(load.ok, requests);
}

/// Random bytes, NULs, an over-long line, too many headers and a chunked body each get their
/// error status, while a request cut short holds one connection open; the server answers the
/// next request every time.
pub fn garbage_and_cut_requests(addr: SocketAddr) {
    let agent = agent();
    let mut half = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut half, b"GET / HTTP/1.1\r\nHost: x\r\nX-Cut: ").unwrap();

    let mut noise = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..3000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        noise.push((x >> 16) as u8);
    }
    noise.extend_from_slice(b"\r\n\r\n");
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
    let many_headers = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(40));
    let cases: [(&[u8], &str); 5] = [
        (&noise, "HTTP/1.1 400 "),
        (b"\0\0\0\0\0\0\0\0\r\n\r\n", "HTTP/1.1 400 "),
        (long_line.as_bytes(), "HTTP/1.1 431 "),
        (many_headers.as_bytes(), "HTTP/1.1 431 "),
        (b"GET /index.html HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 400 "),
    ];
    for (bytes, expected) in cases {
        let answer = http::raw(addr, bytes).unwrap();
        assert!(answer.starts_with(expected.as_bytes()), "{expected:?}: {}", String::from_utf8_lossy(&answer[..answer.len().min(200)]));
        assert_eq!(get(&agent, addr, "/index.html").unwrap().status, 200, "after {expected:?}");
    }
    drop(half);
}

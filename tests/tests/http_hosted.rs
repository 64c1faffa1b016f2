//! `http.wasm` — the module the kernel's ramdisk holds — on the hosted runner, through its
//! native `tcpip` on host sockets (`--tcp-port 80=PORT`, a free port per test), checked with a
//! real HTTP client by the checks the kernel's tests run too (`hayabusa_tests::http_checks`):
//! the status page, `/api/tasks` as JSON, 404, a static file of over 1 MiB byte-exact,
//! keep-alive and pipelining on one connection, a load of 10,000 requests over 16 connections,
//! garbage and a request cut short, and a kill of `http` followed by `run http`.

use std::net::SocketAddr;
use std::time::Duration;

use hayabusa_tests::http::{self, get};
use hayabusa_tests::{Session, SessionError, http_checks, hosted_with, run};

/// A runner with `tcpip` (native) and `http` serving on a free port. (The manifest boots the
/// network stack only where there is a virtio-net NIC: here it is started by hand.)
fn serve() -> Result<(Session, SocketAddr), SessionError> {
    let port = http::free_port();
    let mut vm = hosted_with(&["--tcp-port", &format!("80={port}")]);
    vm.expect_prompt()?;
    let tcpip = run(&mut vm, "tcpip", "")?;
    vm.expect(&format!("run: started task {tcpip} (tcpip)"))?;
    let id = run(&mut vm, "http", "")?;
    vm.expect(&format!("run: started task {id} (http)"))?;
    vm.expect("http: serving on port 80")?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    http::wait_listening(addr, Duration::from_secs(10)).unwrap();
    Ok((vm, addr))
}

fn shutdown(mut vm: Session) -> Result<(), SessionError> {
    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    Ok(())
}

#[test]
fn pages_json_files_and_keep_alive() -> Result<(), SessionError> {
    let (vm, addr) = serve()?;
    http_checks::pages_json_files_and_keep_alive(addr, &["console", "tcpip", "http", "pingpong", "pingpong-switch"]);
    shutdown(vm)
}

#[test]
fn load_of_10000_requests_over_16_connections() -> Result<(), SessionError> {
    let (vm, addr) = serve()?;
    http_checks::load(addr, 10_000, 16);
    shutdown(vm)
}

#[test]
fn garbage_and_cut_requests_do_not_stop_it_and_it_restarts() -> Result<(), SessionError> {
    let (mut vm, addr) = serve()?;
    http_checks::garbage_and_cut_requests(addr);
    vm.send("kill http\n")?;
    vm.expect("(http) killed")?;
    assert!(get(&http::agent(), addr, "/").is_err(), "nobody serves after the kill");
    let id = run(&mut vm, "http", "")?;
    vm.expect(&format!("run: started task {id} (http)"))?;
    vm.expect("http: serving on port 80")?;
    assert_eq!(get(&http::agent(), addr, "/").unwrap().status, 200, "the restarted server serves");
    shutdown(vm)
}

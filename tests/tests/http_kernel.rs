//! The web server in the kernel, as `cargo xtask run` has it: the manifest boots the network
//! stack where there is a virtio-net NIC (`boot = if virtio-net`), so `http.wasm` serves over
//! the Wasm `tcpip` (smoltcp) over the Wasm virtio-net driver, and the host reaches it through
//! QEMU's port forward (a free port per test). The same checks as on the hosted runner
//! (`hayabusa_tests::http_checks`), then the kernel's own: kill `http` and start it again; kill
//! `tcpip` under it: `http` gets an error and ends, the kernel and its other tasks go on, and a
//! new `tcpip` and `http` serve again.

use std::net::SocketAddr;
use std::time::Duration;

use hayabusa_tests::http::{self, get};
use hayabusa_tests::{Outcome, Session, SessionError, boot_with_net, free_port, http_checks, line_starting, run};

/// Boots with a NIC forwarded from a free port; returns once `http` serves.
fn serve(min_secs: u64) -> Result<(Session, SocketAddr), SessionError> {
    let port = free_port();
    let mut vm = boot_with_net(min_secs, Some(port));
    vm.expect_prompt()?;
    // The boot tasks start before the prompt, but `http` may print after it.
    if !vm.transcript().contains("http: serving on port 80") {
        vm.expect("http: serving on port 80")?;
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    http::wait_listening(addr, Duration::from_secs(30)).unwrap();
    Ok((vm, addr))
}

fn shutdown(mut vm: Session) -> Result<(), SessionError> {
    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

/// Starts `name` and waits for its first line.
fn start(vm: &mut Session, name: &str, first_line: &str) -> Result<(), SessionError> {
    let id = run(vm, name, "")?;
    vm.expect(&format!("run: started task {id} ({name})"))?;
    vm.expect(first_line).map(drop)
}

#[test]
fn the_kernel_serves_pages_files_and_bad_requests_and_survives_its_servers_deaths() -> Result<(), SessionError> {
    let (mut vm, addr) = serve(300)?;
    http_checks::pages_json_files_and_keep_alive(addr, &["console", "virtio-net", "tcpip", "http", "pingpong", "pingpong-switch"]);
    http_checks::garbage_and_cut_requests(addr);

    // Kill http: nobody answers; a new one serves.
    let out = vm.command("kill http")?;
    assert!(line_starting(&out, "killed 1 http tasks").is_some(), "{out}");
    assert!(get(&http::agent(), addr, "/").is_err(), "nobody serves after the kill");
    start(&mut vm, "http", "http: serving on port 80")?;
    assert_eq!(get(&http::agent(), addr, "/").unwrap().status, 200, "the restarted server serves");

    // Kill tcpip under http: http's next request fails and it ends with that error; the kernel
    // and the other tasks are fine.
    let mut out = vm.command("kill tcpip")?;
    assert!(line_starting(&out, "killed 1 tcpip tasks").is_some(), "{out}");
    if !out.contains("(http) exited with code") {
        out = vm.expect("(http) exited with code")?;
    }
    assert!(out.contains("http: wait: PEER_DIED") || out.contains("http: accept: PEER_DIED"), "{out}");
    assert!(get(&http::agent(), addr, "/").is_err(), "nobody serves without tcpip");
    let id = run(&mut vm, "pingpong-client", "100")?;
    let out = vm.expect(&format!("task {id} (pingpong-client) exited"))?;
    assert!(!out.contains("exited with code") && !out.contains("trapped"), "{out}");

    // The stack again, on the same driver.
    start(&mut vm, "tcpip", "tcpip: 10.0.2.15/24 gateway 10.0.2.2")?;
    start(&mut vm, "http", "http: serving on port 80")?;
    http::wait_listening(addr, Duration::from_secs(30)).unwrap();
    let index = get(&http::agent(), addr, "/index.html").unwrap();
    assert_eq!((index.status, index.body.as_slice()), (200, http_checks::INDEX));
    shutdown(vm)
}

#[test]
fn the_kernel_answers_10000_requests_over_16_connections() -> Result<(), SessionError> {
    let (vm, addr) = serve(600)?;
    http_checks::load(addr, 10_000, 16);
    shutdown(vm)
}

//! The tcpip service (`servers/tcpip`, smoltcp in a Wasm task) on a looped wire: the fake driver
//! `netloop` sends every frame back, so the service talks to itself, and `nettest` checks the
//! socket protocol through the client library (handshake, data both ways, WAIT, end of stream,
//! a refused connection, UDP, malformed requests); a task that ends holding a listening port
//! has it freed; the service keeps serving throughout. Then the real thing: tcpip over the
//! virtio-net driver (both booted by the manifest where there is a NIC), an echo server in the
//! guest, a client on the host through QEMU's port forwarding.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use hayabusa_tests::{Outcome, SessionError, boot_for, boot_with_net, free_port, run};

#[test]
fn net_loop() -> Result<(), SessionError> {
    let mut vm = boot_for(240);
    vm.expect_prompt()?;
    run(&mut vm, "netloop", "")?;
    vm.expect_prompt()?;
    run(&mut vm, "tcpip", "netloop")?;
    vm.expect("tcpip: 10.0.2.15/24 gateway 10.0.2.2")?;

    let id = run(&mut vm, "nettest", "")?;
    let out = vm.expect(&format!("task {id} (nettest) "))?;
    for line in ["handshake: connect and accept", "wait: 30 ms timeout", "data both ways", "256 KiB one way, byte-exact",
        "end of stream after close", "connect to a closed port: REFUSED", "udp datagram", "malformed requests refused", "nettest: ok"]
    {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains("FAILED"), "{out}");

    // A task that ends without closing its listener: the port is free again.
    let id = run(&mut vm, "nettest", "leak")?;
    vm.expect(&format!("task {id} (nettest) exited"))?;
    let id = run(&mut vm, "nettest", "reuse")?;
    let out = vm.expect(&format!("task {id} (nettest) "))?;
    assert!(out.contains("port 8 free again after its holder ended"), "{out}");

    // Everything again: the service kept its state straight.
    let id = run(&mut vm, "nettest", "")?;
    let out = vm.expect(&format!("task {id} (nettest) "))?;
    assert!(out.contains("nettest: ok") && !out.contains("FAILED"), "{out}");
    let ps = vm.command("ps")?;
    assert!(ps.contains("tcpip") && ps.contains("netloop"), "{ps}");

    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

/// Connects to the guest's echo server through the forwarded port (QEMU accepts at once and
/// connects to the guest behind it: retried until the echo comes), sends `len` bytes, reads
/// them back.
fn echo_through(port: u16, len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting to the forwarded port");
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        let data = data.clone();
        std::thread::spawn(move || stream.write_all(&data))
    };
    let mut back = vec![0; len];
    stream.read_exact(&mut back).expect("the echo");
    writer.join().unwrap().expect("sending");
    assert!(back == data, "the echo differs");
    back
}

#[test]
fn tcpip_over_virtio_net_echoes_a_host_connection() -> Result<(), SessionError> {
    let port = free_port();
    let mut vm = boot_with_net(240, Some(port));
    vm.expect_prompt()?;
    // The manifest boots the stack (driver, tcpip, http) where there is a NIC: port 80 is
    // http's until it is killed.
    if !vm.transcript().contains("http: serving on port 80") {
        vm.expect("http: serving on port 80")?;
    }
    vm.command("kill http")?;
    run(&mut vm, "nettest", "echo")?;
    vm.expect("nettest: echo on port 80")?;
    for len in [5, 100_000] {
        echo_through(port, len);
    }
    let ps = vm.command("ps")?;
    assert!(ps.contains("nettest") && ps.contains("tcpip") && ps.contains("virtio-net"), "{ps}");
    vm.send("shutdown\n")?;
    vm.expect("shutting down")?;
    vm.expect_exit(Outcome::Success)
}

//! The tcpip service (`servers/tcpip`, smoltcp in a Wasm task) on a looped wire: the fake driver
//! `netloop` sends every frame back, so the service talks to itself, and `nettest` checks the
//! socket protocol through the client library (handshake, data both ways, WAIT, end of stream,
//! a refused connection, UDP, malformed requests); a task that ends holding a listening port
//! has it freed; the service keeps serving throughout.

use hayabusa_tests::{Outcome, SessionError, boot_for, run};

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

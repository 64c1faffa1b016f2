//! The network stack's bottom layer in the kernel: the virtio-net driver, a Wasm task the manifest
//! boots where there is a NIC, holds the device; a second driver is refused it. With tcpip and
//! http out of the way, an ARP round trip with QEMU's user network goes through the driver — a
//! frame sent, the device's interrupt delivered to the driver as a notification, the reply
//! read. A killed driver leaves the device quiesced and a new one takes it over.

use hayabusa_tests::{SessionError, boot_with_net, line_starting};

/// QEMU's user-network gateway answers ARP with this MAC.
const GATEWAY_IS_AT: &str = "arping: 10.0.2.2 is at 52:55:0a:00:02:02";

#[test]
fn the_virtio_net_driver_moves_frames_and_survives_its_own_death() -> Result<(), SessionError> {
    let mut vm = boot_with_net(240, None);
    vm.expect_prompt()?;
    if !vm.transcript().contains("http: serving on port 80") {
        vm.expect("http: serving on port 80")?;
    }
    assert!(vm.transcript().contains("virtio-net: up, MAC 52:54:00:12:34:56"), "{}", vm.transcript());
    // The device has one holder: a second driver (the fixtures' `virtio-net-spare`, the same
    // file) is refused and ends.
    vm.send("run virtio-net-spare\n")?;
    let out = vm.expect("exited with code")?;
    assert!(out.contains("virtio-net: cannot open the device: BUSY"), "{out}");
    // The driver serves one client: arping takes tcpip's place.
    for name in ["http", "tcpip"] {
        let out = vm.command(&format!("kill {name}"))?;
        assert!(line_starting(&out, &format!("killed 1 {name} tasks")).is_some(), "{out}");
    }
    for round in 0..2 {
        if round == 1 {
            vm.send("run virtio-net\n")?;
            vm.expect("virtio-net: up, MAC 52:54:00:12:34:56")?;
        }
        for _ in 0..2 {
            vm.send("run arping\n")?;
            let out = vm.expect("(arping) exited")?;
            assert!(out.contains(GATEWAY_IS_AT) && !out.contains("FAILED"), "round {round}:\n{out}");
        }
        let out = vm.command("kill virtio-net")?;
        assert!(line_starting(&out, "killed 1 virtio-net tasks").is_some(), "{out}");
    }
    // Without a driver the service is gone, and the kernel is fine.
    vm.send("run arping\n")?;
    let out = vm.expect("(arping) exited with code 1")?;
    assert!(out.contains("arping: FAILED lookup netdev: NOT_FOUND"), "{out}");
    vm.send("shutdown\n")?;
    vm.expect_exit(hayabusa_tests::Outcome::Success)
}

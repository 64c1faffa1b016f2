//! Names of the services this repository ships (what `ipc_lookup` and REGISTER take).

/// The console service (`servers/console`): see [`crate::console`].
pub const CONSOLE: &str = "console";
/// The pingpong example server on the path the kernel chooses (`examples/pingpong`).
pub const PINGPONG: &str = "pingpong";
/// The same pingpong server binary, started with `ipc = switch` in the manifest.
pub const PINGPONG_SWITCH: &str = "pingpong-switch";
/// A network interface driver (`servers/virtio-net`): see [`crate::netdev`].
pub const NETDEV: &str = "netdev";
/// The TCP/IP service: sockets over IPC (`servers/tcpip`; native on the hosted runner), see
/// [`crate::net`].
pub const TCPIP: &str = "tcpip";

//! The `netdev` service: a network interface driver (`servers/virtio-net`) moving Ethernet frames
//! for one client, the tcpip server. Frames are whole messages: one frame per SEND or RECV, at
//! most [`MAX_FRAME`] bytes (no FCS). Received frames wait in the driver (a bounded queue; the
//! oldest is dropped when it is full) until RECV takes them; the subscriber is notified
//! ([`RX_BIT`], see `kernel::NOTIFY`) when the queue goes from empty to not empty, so a client
//! drains it with RECV until the reply is empty, then waits in `ipc_recv` again.

/// Sends the frame in the payload. Reply empty. `BUSY`: the device's transmit queue is full
/// (try again later); `BAD_ARGUMENT`: shorter than an Ethernet header or longer than
/// [`MAX_FRAME`].
pub const SEND: u32 = 1;
/// Takes the oldest received frame: reply payload the frame, or empty when none waits.
pub const RECV: u32 = 2;
/// Reply: the interface's MAC address (6 bytes), then `u16` MTU.
pub const INFO: u32 = 3;
/// Makes the caller the one task notified with [`RX_BIT`] when frames arrive (at once when
/// frames wait already). Reply empty.
pub const SUBSCRIBE: u32 = 4;

/// Notification bit: frames wait to be taken with RECV.
pub const RX_BIT: u32 = 1;
/// Largest frame: a 1500-byte MTU payload and the 14-byte Ethernet header.
pub const MAX_FRAME: usize = 1514;
/// The interface MTU.
pub const MTU: u16 = 1500;

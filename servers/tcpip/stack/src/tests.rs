//! The stack on a looped wire, on the host: every frame the interface sends comes back to it
//! (as `examples/netloop` does in the system), so a listener and a connector of one client are
//! both real smoltcp sockets; requests go through `Request::parse` and [`Stack::attempt`] as the
//! service's event loop sends them, a blocked one tried again after each poll.

use hayabusa_abi::net::{
    ACCEPT, Addr, CLOSE, LOCAL_ADDR, READABLE, RECV, RECV_FROM, Request, SEND, SEND_TO, TCP_CONNECT, TCP_LISTEN, UDP_BIND,
    WAIT, WRITABLE, port_payload, wait_entry,
};
use hayabusa_abi::{Error, Message};
use smoltcp::iface::{Config, Interface};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

use crate::device::Frames;
use crate::sockets::{BACKLOG, MAX_PER_TASK, Progress, Stack, Step};

const HOME: [u8; 4] = [10, 0, 2, 15];

struct Wire {
    stack: Stack,
    frames: Frames,
    now_us: i64,
}

impl Wire {
    fn new() -> Wire {
        let mut frames = Frames::new(1514);
        let config = Config::new(HardwareAddress::Ethernet(EthernetAddress([2, 0, 0, 0, 0, 1])));
        let mut iface = Interface::new(config, &mut frames, Instant::from_micros(0));
        iface.update_ip_addrs(|a| a.push(IpCidr::new(IpAddress::v4(10, 0, 2, 15), 24)).unwrap());
        iface.routes_mut().add_default_ipv4_route(Ipv4Address::new(10, 0, 2, 2)).unwrap();
        Wire { stack: Stack::new(iface, Ipv4Address::from(HOME), 7), frames, now_us: 0 }
    }

    /// Polls a while, 1 ms apart, sending every frame back.
    fn pump(&mut self) {
        for _ in 0..20 {
            self.now_us += 1000;
            let stack = &self.stack;
            self.frames.drop_syns_beyond(|port| stack.listening_on(port));
            self.stack.iface.poll(Instant::from_micros(self.now_us), &mut self.frames, &mut self.stack.set);
            self.stack.tidy();
            while let Some(frame) = self.frames.tx.pop_front() {
                self.frames.deliver(&frame);
            }
        }
    }

    /// One request of `task`, tried again after polls while it blocks (up to 10 s of wire time:
    /// a dropped SYN comes again after its retransmission timeout).
    fn call(&mut self, task: i32, kind: u32, payload: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Message::new(0);
        let mut progress = Progress::default();
        for _ in 0..500 {
            let request = Request::parse(kind, payload)?;
            match self.stack.attempt(task, &request, &mut progress, &mut out) {
                Step::Done => return Ok(out.payload().to_vec()),
                Step::Fail(e) => return Err(e),
                Step::Block => self.pump(),
            }
        }
        panic!("request {kind} still blocked");
    }

    /// One attempt only: whether it would block.
    fn blocks(&mut self, task: i32, kind: u32, payload: &[u8]) -> bool {
        let request = Request::parse(kind, payload).unwrap();
        matches!(self.stack.attempt(task, &request, &mut Progress::default(), &mut Message::new(0)), Step::Block)
    }

    fn socket(&mut self, task: i32, kind: u32, payload: &[u8]) -> [u8; 4] {
        self.call(task, kind, payload).unwrap()[..4].try_into().unwrap()
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn flags(nonblock: bool) -> [u8; 4] {
    u32::from(nonblock).to_le_bytes()
}

fn recv(id: [u8; 4], nonblock: bool, max: u32) -> Vec<u8> {
    cat(&[&id, &flags(nonblock), &max.to_le_bytes()])
}

fn connect_to(port: u16, nonblock: bool) -> Vec<u8> {
    cat(&[&Addr::new(HOME, port).encode(), &flags(nonblock)])
}

#[test]
fn handshake_data_end_of_stream_and_refusal() {
    let mut w = Wire::new();
    let listener = w.socket(5, TCP_LISTEN, &port_payload(7));
    assert_eq!(w.call(5, TCP_LISTEN, &port_payload(7)), Err(Error::Busy));
    assert_eq!(w.call(5, LOCAL_ADDR, &listener), Ok(Addr::new(HOME, 7).encode().to_vec()));
    assert_eq!(w.call(5, ACCEPT, &cat(&[&listener, &flags(true)])), Err(Error::WouldBlock));

    let client = w.socket(5, TCP_CONNECT, &connect_to(7, false));
    let accepted = w.call(5, ACCEPT, &cat(&[&listener, &flags(false)])).unwrap();
    let server: [u8; 4] = accepted[..4].try_into().unwrap();
    assert_eq!(&accepted[4..], w.call(5, LOCAL_ADDR, &client).unwrap(), "ACCEPT names the peer");

    assert_eq!(w.call(5, RECV, &recv(server, true, 100)), Err(Error::WouldBlock));
    assert!(w.blocks(5, RECV, &recv(server, false, 100)), "a blocking RECV waits");
    assert_eq!(w.call(5, SEND, &cat(&[&client, &flags(false), b"hello"])), Ok(5u32.to_le_bytes().to_vec()));
    assert_eq!(w.call(5, RECV, &recv(server, false, 3)), Ok(b"hel".to_vec()), "at most max bytes");
    assert_eq!(w.call(5, RECV, &recv(server, false, 100)), Ok(b"lo".to_vec()));

    let wait = cat(&[&0u64.to_le_bytes(), &wait_entry(u32::from_le_bytes(client), READABLE | WRITABLE)]);
    assert_eq!(w.call(5, WAIT, &wait), Ok(wait_entry(u32::from_le_bytes(client), WRITABLE).to_vec()));

    assert_eq!(w.call(5, CLOSE, &client), Ok(Vec::new()));
    assert_eq!(w.call(5, RECV, &recv(server, false, 100)), Ok(Vec::new()), "end of stream");
    assert_eq!(w.call(5, CLOSE, &client), Err(Error::BadArgument), "closed already");
    assert_eq!(w.call(5, TCP_CONNECT, &connect_to(9, false)), Err(Error::Refused));
}

#[test]
fn a_blocking_send_waits_for_room_and_sends_everything() {
    let mut w = Wire::new();
    let listener = w.socket(5, TCP_LISTEN, &port_payload(80));
    let client = w.socket(5, TCP_CONNECT, &connect_to(80, false));
    let server: [u8; 4] = w.call(5, ACCEPT, &cat(&[&listener, &flags(false)])).unwrap()[..4].try_into().unwrap();
    // Fill both buffers (the peer does not read): a non-blocking SEND then fails, a blocking one waits.
    let chunk = vec![7u8; 4000];
    let mut sent = 0;
    loop {
        match w.call(5, SEND, &cat(&[&client, &flags(true), &chunk])) {
            Ok(n) => sent += u32::from_le_bytes(n[..4].try_into().unwrap()) as usize,
            Err(Error::WouldBlock) => break,
            Err(e) => panic!("{e:?}"),
        }
        w.pump();
    }
    assert!(sent >= 32 * 1024, "{sent}");
    // A blocking SEND kept (as the event loop keeps it) while the peer reads: answered once all
    // 4000 bytes are queued, with 4000.
    let send = cat(&[&client, &flags(false), &chunk]);
    let request = Request::parse(SEND, &send).unwrap();
    let (mut progress, mut out) = (Progress::default(), Message::new(0));
    let mut got = 0;
    loop {
        match w.stack.attempt(5, &request, &mut progress, &mut out) {
            Step::Done => break,
            Step::Fail(e) => panic!("{e:?}"),
            Step::Block => {}
        }
        got += w.call(5, RECV, &recv(server, false, 1000)).unwrap().len();
        w.pump();
    }
    assert_eq!(out.payload(), 4000u32.to_le_bytes(), "all of it");
    sent += 4000;
    while got < sent {
        got += w.call(5, RECV, &recv(server, false, 4080)).unwrap().len();
        w.pump();
    }
    assert_eq!(got, sent);
}

#[test]
fn udp_datagrams() {
    let mut w = Wire::new();
    let a = w.socket(5, UDP_BIND, &port_payload(5353));
    assert_eq!(w.call(5, UDP_BIND, &port_payload(5353)), Err(Error::Busy));
    let b = w.socket(5, UDP_BIND, &port_payload(0));
    let b_addr = w.call(5, LOCAL_ADDR, &b).unwrap();
    assert_eq!(w.call(5, RECV_FROM, &cat(&[&a, &flags(true)])), Err(Error::WouldBlock));
    let to = Addr::new(HOME, 5353).encode();
    assert_eq!(w.call(5, SEND_TO, &cat(&[&b, &flags(false), &to, b"dgram"])), Ok(5u32.to_le_bytes().to_vec()));
    assert_eq!(w.call(5, RECV_FROM, &cat(&[&a, &flags(false)])), Ok(cat(&[&b_addr, b"dgram"])));
    assert_eq!(w.call(5, SEND_TO, &cat(&[&b, &flags(false), &to, &[0; 1473]])), Err(Error::TooLarge));
}

#[test]
fn sockets_belong_to_their_task_and_go_with_it() {
    let mut w = Wire::new();
    let listener = w.socket(5, TCP_LISTEN, &port_payload(7));
    let client = w.socket(5, TCP_CONNECT, &connect_to(7, false));
    assert_eq!(w.call(6, CLOSE, &listener), Err(Error::BadArgument), "another task's number");
    assert_eq!(w.call(6, SEND, &cat(&[&client, &flags(false), b"x"])), Err(Error::BadArgument));
    assert_eq!(w.call(5, ACCEPT, &cat(&[&client, &flags(false)])), Err(Error::BadArgument), "ACCEPT on a connection");
    w.stack.drop_client(5);
    w.pump();
    assert_eq!(w.stack.set.iter().count(), 0, "every smoltcp socket finished");
    w.socket(6, TCP_LISTEN, &port_payload(7));
}

#[test]
fn limits_say_busy() {
    let mut w = Wire::new();
    for i in 0..MAX_PER_TASK {
        w.socket(5, UDP_BIND, &port_payload(1000 + i as u16));
    }
    assert_eq!(w.call(5, UDP_BIND, &port_payload(0)), Err(Error::Busy), "per task");
    let mut listeners = 0;
    while w.call(6, TCP_LISTEN, &port_payload(2000 + listeners)).is_ok() {
        listeners += 1;
    }
    assert_eq!(usize::from(listeners) * BACKLOG + MAX_PER_TASK, crate::sockets::MAX_SOCKETS, "in all");
}

#[test]
fn connection_requests_beyond_the_backlog_wait_instead_of_being_refused() {
    let mut w = Wire::new();
    let listener = w.socket(5, TCP_LISTEN, &port_payload(7));
    // All at once: more SYNs than the backlog has listening sockets.
    let clients: Vec<[u8; 4]> = (0..BACKLOG + 4).map(|_| w.socket(6, TCP_CONNECT, &connect_to(7, true))).collect();
    w.pump();
    for _ in &clients {
        w.call(5, ACCEPT, &cat(&[&listener, &flags(false)])).expect("every request is accepted in the end");
    }
    // A refused client's socket would say RESET.
    for client in &clients {
        assert_eq!(w.call(6, SEND, &cat(&[client, &flags(false), b"x"])), Ok(1u32.to_le_bytes().to_vec()));
    }
}

#[test]
fn echo_requests_are_answered() {
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{
        ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, EthernetRepr, Icmpv4Packet, Icmpv4Repr, IpProtocol,
        Ipv4Packet, Ipv4Repr,
    };
    let (home_mac, gateway_mac) = (EthernetAddress([2, 0, 0, 0, 0, 1]), EthernetAddress([2, 0, 0, 0, 0, 2]));
    let (home, gateway) = (Ipv4Address::from(HOME), Ipv4Address::new(10, 0, 2, 2));
    let frame = |ethertype, len: usize, fill: &dyn Fn(&mut [u8])| {
        let mut buf = vec![0; 14 + len];
        let mut eth = EthernetFrame::new_unchecked(&mut buf[..]);
        EthernetRepr { src_addr: gateway_mac, dst_addr: home_mac, ethertype }.emit(&mut eth);
        fill(eth.payload_mut());
        buf
    };
    let checksums = ChecksumCapabilities::default();
    // The gateway asks for our MAC (which also tells us its own), then pings us.
    let arp = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: gateway_mac,
        source_protocol_addr: gateway,
        target_hardware_addr: EthernetAddress([0; 6]),
        target_protocol_addr: home,
    };
    let ping = Icmpv4Repr::EchoRequest { ident: 7, seq_no: 1, data: b"hayabusa" };
    let ip = Ipv4Repr { src_addr: gateway, dst_addr: home, next_header: IpProtocol::Icmp, payload_len: ping.buffer_len(), hop_limit: 64 };
    let mut w = Wire::new();
    w.frames.deliver(&frame(EthernetProtocol::Arp, arp.buffer_len(), &|p| arp.emit(&mut ArpPacket::new_unchecked(p))));
    w.frames.deliver(&frame(EthernetProtocol::Ipv4, ip.buffer_len() + ping.buffer_len(), &|p| {
        let mut packet = Ipv4Packet::new_unchecked(p);
        ip.emit(&mut packet, &checksums);
        ping.emit(&mut Icmpv4Packet::new_unchecked(packet.payload_mut()), &checksums);
    }));
    w.stack.iface.poll(Instant::from_micros(1000), &mut w.frames, &mut w.stack.set);

    let replies: Vec<(Ipv4Address, Vec<u8>)> = w
        .frames
        .tx
        .iter()
        .filter_map(|f| {
            let eth = EthernetFrame::new_checked(&f[..]).ok()?;
            let packet = Ipv4Packet::new_checked(eth.payload()).ok()?;
            let icmp = Icmpv4Packet::new_checked(packet.payload()).ok()?;
            match Icmpv4Repr::parse(&icmp, &checksums).ok()? {
                Icmpv4Repr::EchoReply { ident: 7, seq_no: 1, data } => Some((packet.dst_addr(), data.to_vec())),
                _ => None,
            }
        })
        .collect();
    assert_eq!(replies, [(gateway, b"hayabusa".to_vec())], "one echo reply to the gateway, the data echoed");
}

//! notes: checks notifications from a program's side — its TIMER wakes an `ipc_recv` from task 1
//! no earlier than asked, a NOTIFY reaches the pingpong server (whose loop must skip it and keep
//! answering), and malformed or forbidden NOTIFYs are refused. Prints one line
//! per check and `notes: ok`, or `notes: FAILED ...` and exits 1.

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::kernel::{self, NOTIFICATION, TIMER_BIT};
use hayabusa_abi::{Error, Message, TaskId, call, console, lookup, recv};

hayabusa_abi::main!(main);

fn fail(what: &str, e: Option<Error>) -> ! {
    let mut line = console::Line::new();
    line.str("notes: FAILED ").str(what);
    if let Some(e) = e {
        line.str(": ").error(e);
    }
    line.print();
    kernel::exit(1)
}

fn expect(what: &str, got: Result<(), Error>, want: Result<(), Error>) {
    if got != want {
        fail(what, got.err().or(Some(Error::Unknown)));
    }
    console::Line::new().str("notes: ").str(what).str(": ").str(match want {
        Ok(()) => "ok",
        Err(e) => e.name(),
    }).print();
}

fn main() {
    let mut msg = Message::new(0);
    // A timer: the receive from task 1 returns with TIMER_BIT, not before it was due.
    let start = kernel::uptime_ns().unwrap_or(0);
    if let Err(e) = kernel::set_timer(30_000_000) {
        fail("set_timer", Some(e));
    }
    match recv(Some(TaskId::KERNEL), &mut msg) {
        Ok(TaskId::KERNEL) if msg.kind() == NOTIFICATION && msg.u32_at(0).is_some_and(|b| b & TIMER_BIT != 0) => {}
        Ok(_) => fail("the timer's notification is malformed", None),
        Err(e) => fail("recv from task 1", Some(e)),
    }
    let waited = kernel::uptime_ns().unwrap_or(0).saturating_sub(start);
    if waited < 30_000_000 {
        fail("the timer fired early", None);
    }
    console::println("notes: a 30 ms timer woke ipc_recv(1) after at least 30 ms");

    // A disarmed timer never fires: arm, disarm, then a later one is the only one to come.
    let _ = kernel::set_timer(5_000_000);
    let _ = kernel::set_timer(0);
    let _ = kernel::set_timer(40_000_000);
    let start = kernel::uptime_ns().unwrap_or(0);
    let _ = recv(Some(TaskId::KERNEL), &mut msg);
    if kernel::uptime_ns().unwrap_or(0).saturating_sub(start) < 40_000_000 {
        fail("a disarmed timer fired", None);
    }
    console::println("notes: a disarmed timer did not fire");

    let Ok(pingpong) = lookup("pingpong") else { fail("lookup pingpong", None) };
    // pingpong-switch boots right after pingpong: neither may it call us nor we it.
    let Some(switch) = TaskId::new(pingpong.get() + 1) else { fail("pingpong's id", None) };
    expect("notify task 1", kernel::notify(TaskId::KERNEL, 1), Err(Error::BadArgument));
    expect("notify with no bits", kernel::notify(pingpong, 0), Err(Error::BadArgument));
    expect("notify a task neither client nor server", kernel::notify(switch, 1), Err(Error::Denied));
    for round in 0..3 {
        expect("notify pingpong", kernel::notify(pingpong, 1 << round), Ok(()));
        let Ok(mut ping) = Message::with_payload(1, b"ping") else { fail("message", None) };
        if let Err(e) = call(pingpong, &mut ping) {
            fail("pingpong after a notification", Some(e));
        }
        if ping.payload() != [!b'p', !b'i', !b'n', !b'g'] {
            fail("pingpong's answer after a notification", None);
        }
    }
    console::println("notes: pingpong answers after notifications");
    console::println("notes: ok");
}

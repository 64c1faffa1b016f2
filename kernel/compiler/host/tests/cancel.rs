//! Ending a killed task's calls on Linux (`hayabusa_compiler_host::cancel`), as the kernel does:
//! a poke ends a killed owner's call spinning in compiled code; an import leaves through
//! `cancel_now`; a long `memory.fill`/`memory.copy` stops at its first cancel point; a thread
//! killed while it runs another owner's code gives that call `GRACE_TICKS` pokes, then
//! abandons it; and pokes change nothing for a thread that is not running a killed call.
//!
//! Waits that a regression could make endless are bounded by [`DEADLINE`] and fail the test.

mod common;
use common::*;
use hayabusa_compiler::{Sig, TrapKind, ValType};
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::cancel::{ABANDONED, CANCELLED, GRACE_TICKS, ThreadHandle, cancel_now, set_owner};
use hayabusa_compiler_host::{Extern, FuncHandle, Instance, Store, Trap, Val, enter};
use hayabusa_runtime::builtins::CHUNK;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);
/// Between two pokes: long enough for the signal to be taken before the next one is sent.
const POKE_GAP: Duration = Duration::from_millis(2);

type Outcome = Result<Vec<Val>, Trap>;

/// A kill flag, and the owner value `set_owner` takes for it.
#[derive(Clone, Default)]
struct Flag(Arc<AtomicBool>);

impl Flag {
    fn owner(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `f` with `flag` as the owner of the calls it makes.
fn as_owner<R>(flag: &Flag, f: impl FnOnce() -> R) -> R {
    let previous = set_owner(flag.owner());
    let r = f();
    set_owner(previous);
    r
}

fn cause(r: &Outcome) -> Option<u32> {
    r.as_ref().err().and_then(|t| t.cause)
}

const fn cause_of(c: u8) -> Option<u32> {
    Some(c as u32)
}

/// Instantiates `wat` with host functions `env.NAME`.
fn with_imports(wat: &str, imports: &[(&str, FuncHandle)]) -> Instance {
    let wasm = wat::parse_str(wat).expect("valid wat");
    let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).expect("compiles");
    let store: &'static Store = Box::leak(Box::new(Store::new()));
    let resolve = |m: &str, n: &str| {
        let found = imports.iter().find(|(name, _)| m == "env" && *name == n);
        found.map(|(_, f)| Extern::Func(f.clone()))
    };
    Instance::new(store, Arc::new(module), &wasm, &resolve).expect("instantiates")
}

fn no_args(body: impl Fn() + Send + Sync + 'static) -> FuncHandle {
    FuncHandle::host_raw(Sig { params: vec![], results: vec![] }, move |_| body())
}

fn returning_i32(body: impl Fn(i32) -> i32 + Send + Sync + 'static) -> FuncHandle {
    let sig = Sig { params: vec![ValType::I32], results: vec![ValType::I32] };
    FuncHandle::host(sig, Box::new(move |args| vec![I32(body(if let I32(v) = args[0] { v } else { 0 }))]))
}

/// Pokes `thread` every [`POKE_GAP`] until `done` delivers; returns what it delivered and how
/// many pokes were sent.
fn poke_until<T>(thread: &ThreadHandle, done: &Receiver<T>) -> (T, u32) {
    let start = Instant::now();
    let mut pokes = 0;
    loop {
        if let Ok(v) = done.try_recv() {
            return (v, pokes);
        }
        assert!(start.elapsed() < DEADLINE, "no result after {pokes} pokes");
        thread.poke();
        pokes += 1;
        thread::sleep(POKE_GAP);
    }
}

/// Pokes `thread` `n` times, [`POKE_GAP`] apart.
fn poke_times(thread: &ThreadHandle, n: u32) {
    for _ in 0..n {
        thread.poke();
        thread::sleep(POKE_GAP);
    }
}

const SPIN: &str = r#"
(module
  (func (export "spin") (loop (br 0)))
  (func (export "add") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  ;; 0 + 1 + ... + (n - 1), mod 2^32.
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s))
)"#;

#[test]
fn a_poke_cancels_a_killed_call_spinning_in_compiled_code() {
    assert_eq!((CANCELLED, ABANDONED), (0xff, 0xfe));
    let (handle_tx, handle_rx) = channel();
    let (go_tx, go_rx) = channel::<Flag>();
    let (spun_tx, spun_rx) = channel();
    let worker = thread::spawn(move || {
        let inst = instantiate(SPIN);
        handle_tx.send(ThreadHandle::current()).unwrap();
        let mut after = Vec::new();
        // Twice on the same thread and instance: the first cancel leaves both usable.
        for flag in go_rx.iter().take(2) {
            spun_tx.send(as_owner(&flag, || call(&inst, "spin", &[]))).unwrap();
            after.push((enter::in_call(), call(&inst, "add", &[I32(41)])));
        }
        after
    });
    let handle = handle_rx.recv().unwrap();
    for _ in 0..2 {
        let flag = Flag::default();
        go_tx.send(flag.clone()).unwrap();
        // Not killed: pokes leave the call running.
        poke_times(&handle, 20);
        assert!(spun_rx.try_recv().is_err(), "a poke ended a call whose owner was not killed");
        flag.kill();
        let (spun, pokes) = poke_until(&handle, &spun_rx);
        let trap = spun.expect_err("the killed call ends");
        assert_eq!((trap.kind, trap.cause), (TrapKind::Unreachable, cause_of(CANCELLED)));
        // The first poke normally does it; another thread loading code at that moment may
        // make the handler miss one.
        assert!(pokes <= 20, "{pokes} pokes to cancel");
    }
    let after = worker.join().unwrap();
    for (in_call, add) in after {
        assert!(!in_call, "the cancelled call's entry record is gone");
        assert_eq!(add, Ok(vec![I32(42)]));
    }
}

const LEAVE: &str = r#"
(module
  (import "env" "leave" (func $leave))
  (import "env" "nested" (func $nested (param i32) (result i32)))
  (func (export "run") (result i32) (call $leave) (i32.const 7))
  (func (export "outer") (result i32) (i32.add (call $nested (i32.const 0)) (i32.const 1)))
  (func (export "add") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
)"#;

#[test]
fn an_import_leaves_through_cancel_now() {
    let me: Arc<OnceLock<Instance>> = Arc::default();
    let leave = no_args(|| cancel_now());
    // Calls `run` (which leaves) from inside `outer`: only that inner call ends.
    let seen = Arc::new(Mutex::new(None));
    let nested = returning_i32({
        let (me, seen) = (me.clone(), seen.clone());
        move |_| {
            let inner = call(me.get().unwrap(), "run", &[]);
            let still_in_outer = enter::in_call();
            *seen.lock().unwrap() = Some((inner, still_in_outer));
            100
        }
    });
    let inst = with_imports(LEAVE, &[("leave", leave), ("nested", nested)]);
    assert!(me.set(inst.clone()).is_ok());
    for _ in 0..3 {
        let r = call(&inst, "run", &[]);
        assert_eq!(cause(&r), cause_of(CANCELLED), "{r:?}");
        assert!(!enter::in_call());
        assert_eq!(call(&inst, "add", &[I32(1)]), Ok(vec![I32(2)]));
    }
    assert_eq!(call(&inst, "outer", &[]), Ok(vec![I32(101)]), "the outer call went on");
    let (inner, still_in_outer) = seen.lock().unwrap().take().unwrap();
    assert_eq!(cause(&inner), cause_of(CANCELLED));
    assert!(still_in_outer, "the outer call's record is the thread's again");
    // Deep recursion still stops at this thread's stack limit: the saved stack pointers and
    // limits were restored.
    let deep = instantiate("(module (func $f (export \"f\") (call $f)))");
    assert_eq!(call(&deep, "f", &[]).map_err(|t| t.kind), Err(TrapKind::StackOverflow));
}

const FILL: &str = r#"
(module
  (memory (export "memory") 16384)
  (func (export "fill") (param $dst i32) (param $value i32) (param $len i32)
    (memory.fill (local.get $dst) (local.get $value) (local.get $len)))
  (func (export "copy") (param $dst i32) (param $src i32) (param $len i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $len)))
)"#;

#[test]
fn a_long_fill_or_copy_stops_at_its_first_cancel_point() {
    const GIB: i32 = 1 << 30;
    const C: i32 = CHUNK as i32;
    let inst = instantiate(FILL);
    let memory = inst.memory().unwrap().clone();
    let bytes = |at: &[i32]| at.iter().map(|a| memory.read(*a as u64, 1).unwrap()[0]).collect::<Vec<u8>>();
    let (killed, alive) = (Flag::default(), Flag::default());
    killed.kill();
    // 1 GiB, killed before the call: one chunk, then the cancel point.
    let r = as_owner(&killed, || call(&inst, "fill", &[I32(0), I32(0xaa), I32(GIB)]));
    assert_eq!(cause(&r), cause_of(CANCELLED), "{r:?}");
    assert_eq!(bytes(&[0, C - 1, C]), [0xaa, 0xaa, 0], "stopped after one chunk");
    // Not killed: the same builtin runs to the end.
    assert_eq!(as_owner(&alive, || call(&inst, "fill", &[I32(0), I32(0x55), I32(4 * C)])), Ok(vec![]));
    assert_eq!(bytes(&[0, 4 * C - 1, 4 * C]), [0x55, 0x55, 0]);
    // A copy to a higher address runs back to front: only the last chunk is copied.
    let (dst, len) = (GIB / 2, 4 * C);
    let r = as_owner(&killed, || call(&inst, "copy", &[I32(dst), I32(0), I32(len)]));
    assert_eq!(cause(&r), cause_of(CANCELLED), "{r:?}");
    assert_eq!(bytes(&[dst, dst + len - C - 1, dst + len - C, dst + len - 1]), [0, 0, 0x55, 0x55]);
    assert_eq!(as_owner(&alive, || call(&inst, "copy", &[I32(dst), I32(0), I32(len)])), Ok(vec![]));
    assert_eq!(bytes(&[dst, dst + len - 1]), [0x55, 0x55]);
}

/// The caller's module: `run` calls the host function `serve`, which runs code of the callee
/// (another owner), then spins.
const CALLER: &str = r#"
(module
  (import "env" "serve" (func $serve (param i32) (result i32)))
  (func (export "run") (param i32)
    (drop (call $serve (local.get 0)))
    (loop (br 0)))
)"#;

/// The callee's module: `spin` never returns; `until` returns once the host says stop.
const CALLEE: &str = r#"
(module
  (import "env" "entered" (func $entered))
  (import "env" "stop" (func $stop (param i32) (result i32)))
  (func (export "spin") (call $entered) (loop (br 0)))
  (func (export "until") (result i32)
    (call $entered)
    (loop (br_if 0 (i32.eqz (call $stop (i32.const 0)))))
    (i32.const 5))
)"#;

const SPIN_INSIDE: i32 = 0;
const UNTIL_INSIDE: i32 = 1;

/// What the caller's thread reports.
enum Report {
    /// The callee's code runs (its host function `entered`).
    Entered,
    /// The callee's call returned.
    Inner(Outcome),
    /// The caller's call returned.
    Outer(Outcome),
}

/// A thread running [`CALLER`] under a fresh kill flag per call, its `serve` running [`CALLEE`]
/// under an owner never killed.
fn caller_thread(go: Receiver<(Flag, i32)>, report: Sender<Report>, stop: Arc<AtomicBool>) -> ThreadHandle {
    let (handle_tx, handle_rx) = channel();
    thread::spawn(move || {
        let report = Mutex::new(report);
        let send = move |r| report.lock().unwrap().send(r).unwrap();
        let send = Arc::new(send);
        let entered = no_args({
            let send = send.clone();
            move || send(Report::Entered)
        });
        let stop = returning_i32(move |_| i32::from(stop.load(Ordering::SeqCst)));
        let callee = with_imports(CALLEE, &[("entered", entered), ("stop", stop)]);
        let callee_flag = Flag::default();
        let serve = returning_i32({
            let send = send.clone();
            move |what| {
                let name = if what == SPIN_INSIDE { "spin" } else { "until" };
                send(Report::Inner(as_owner(&callee_flag, || call(&callee, name, &[]))));
                0
            }
        });
        let caller = with_imports(CALLER, &[("serve", serve)]);
        handle_tx.send(ThreadHandle::current()).unwrap();
        for (flag, what) in go {
            send(Report::Outer(as_owner(&flag, || call(&caller, "run", &[I32(what)]))));
        }
    });
    handle_rx.recv().unwrap()
}

fn expect_entered(reports: &Receiver<Report>) {
    match reports.recv_timeout(DEADLINE) {
        Ok(Report::Entered) => {}
        _ => panic!("the callee's code did not start"),
    }
}

/// Pokes until the next report, which must be `Inner` (`inner: true`) or `Outer`.
fn poke_until_report(handle: &ThreadHandle, reports: &Receiver<Report>, inner: bool) -> (Outcome, u32) {
    match poke_until(handle, reports) {
        (Report::Inner(r), pokes) if inner => (r, pokes),
        (Report::Outer(r), pokes) if !inner => (r, pokes),
        _ => panic!("unexpected report"),
    }
}

#[test]
fn a_killed_callers_thread_abandons_the_callees_code_after_the_grace() {
    let (go_tx, go_rx) = channel();
    let (report_tx, reports) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let handle = caller_thread(go_rx, report_tx, stop.clone());

    // The callee's code spins on: it gets GRACE_TICKS pokes, and is abandoned at the next one.
    let caller = Flag::default();
    go_tx.send((caller.clone(), SPIN_INSIDE)).unwrap();
    expect_entered(&reports);
    caller.kill();
    let (inner, pokes) = poke_until_report(&handle, &reports, true);
    assert_eq!(cause(&inner), cause_of(ABANDONED), "{inner:?}");
    assert!(pokes > GRACE_TICKS, "abandoned after {pokes} pokes, within the grace");
    // Then the caller's own code, which spins too, is cancelled.
    let (outer, _) = poke_until_report(&handle, &reports, false);
    assert_eq!(cause(&outer), cause_of(CANCELLED), "{outer:?}");

    // The callee's code returns within the grace: its call completes.
    let caller = Flag::default();
    go_tx.send((caller.clone(), UNTIL_INSIDE)).unwrap();
    expect_entered(&reports);
    caller.kill();
    poke_times(&handle, GRACE_TICKS);
    stop.store(true, Ordering::SeqCst);
    match reports.recv_timeout(DEADLINE) {
        Ok(Report::Inner(r)) => assert_eq!(r, Ok(vec![I32(5)])),
        _ => panic!("the callee's call did not return"),
    }
    let (outer, _) = poke_until_report(&handle, &reports, false);
    assert_eq!(cause(&outer), cause_of(CANCELLED), "{outer:?}");
}

#[test]
fn pokes_to_a_thread_outside_a_killed_call_change_nothing() {
    // Sleeping: the sleep lasts as long as asked.
    let (tx, rx) = channel();
    let sleeper = thread::spawn(move || {
        tx.send(ThreadHandle::current()).unwrap();
        let start = Instant::now();
        thread::sleep(Duration::from_millis(200));
        start.elapsed()
    });
    let handle = rx.recv().unwrap();
    let slept = loop {
        handle.poke();
        thread::sleep(POKE_GAP);
        if sleeper.is_finished() {
            break sleeper.join().unwrap();
        }
    };
    assert!(slept >= Duration::from_millis(200), "slept {slept:?}");
    handle.poke(); // The thread has ended: nothing happens.

    // Parked, and blocked in a read (restarted after each poke).
    let (mut ours, mut theirs) = UnixStream::pair().unwrap();
    let woken = Arc::new(AtomicBool::new(false));
    let (tx, rx) = channel();
    let parked = thread::spawn({
        let woken = woken.clone();
        move || {
            tx.send(ThreadHandle::current()).unwrap();
            while !woken.load(Ordering::SeqCst) {
                thread::park();
            }
            let mut byte = [0u8];
            (theirs.read(&mut byte).map_err(|e| e.kind()), byte[0])
        }
    });
    let handle = rx.recv().unwrap();
    poke_times(&handle, 20);
    woken.store(true, Ordering::SeqCst);
    parked.thread().unpark();
    poke_times(&handle, 20);
    // (Fails if a poke ended the read: the reader is gone.)
    let written = ours.write_all(&[42]).map_err(|e| e.kind());
    assert_eq!(parked.join().unwrap(), (Ok(1), 42), "the read was restarted after each poke");
    assert_eq!(written, Ok(()));

    // Running compiled code whose owner is not killed: the result is exact.
    let (tx, rx) = channel();
    let (done_tx, done_rx) = channel();
    thread::spawn(move || {
        let inst = instantiate(SPIN);
        tx.send(ThreadHandle::current()).unwrap();
        done_tx.send(as_owner(&Flag::default(), || call(&inst, "sum", &[I32(300_000_000)]))).unwrap();
    });
    let (sum, pokes) = poke_until(&rx.recv().unwrap(), &done_rx);
    let expected = (0..300_000_000u64).sum::<u64>() as u32 as i32;
    assert_eq!(sum, Ok(vec![I32(expected)]), "after {pokes} pokes");
}

/// The module of [`a_killed_call_in_host_code_ends_only_back_in_compiled_code`].
const HOST_WORK: &str = r#"
(module
  (import "env" "work" (func $work (param i32) (result i32)))
  (func (export "run") (result i32) (drop (call $work (i32.const 0))) (loop (br 0)) (i32.const 0))
)"#;

#[test]
fn a_killed_call_in_host_code_ends_only_back_in_compiled_code() {
    // `work` runs for a while, poked meanwhile; it finishes, and the Wasm code after it is
    // cancelled.
    let finished = Arc::new(AtomicU32::new(0));
    let (tx, rx) = channel();
    let (started_tx, started_rx) = channel();
    let (done_tx, done_rx) = channel();
    let caller = Flag::default();
    thread::spawn({
        let (finished, caller) = (finished.clone(), caller.clone());
        move || {
            let started_tx = Mutex::new(started_tx);
            let work = returning_i32(move |_| {
                started_tx.lock().unwrap().send(()).unwrap();
                thread::sleep(Duration::from_millis(100));
                finished.fetch_add(1, Ordering::SeqCst);
                0
            });
            let inst = with_imports(HOST_WORK, &[("work", work)]);
            tx.send(ThreadHandle::current()).unwrap();
            done_tx.send(as_owner(&caller, || call(&inst, "run", &[]))).unwrap();
        }
    });
    let handle = rx.recv().unwrap();
    started_rx.recv_timeout(DEADLINE).unwrap();
    caller.kill();
    let (r, _) = poke_until(&handle, &done_rx);
    assert_eq!(cause(&r), cause_of(CANCELLED), "{r:?}");
    assert_eq!(finished.load(Ordering::SeqCst), 1, "the host function ran to its end");
}

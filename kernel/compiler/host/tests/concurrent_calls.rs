//! One thread at a time per instance, checked at run time: while a call runs an instance on one
//! thread, a safe call into it from another thread is refused (`TrapKind::ConcurrentCall`)
//! before any Wasm code runs, and succeeds once the first call has returned, normally or by a
//! trap; a host function calling back into its instance on the same thread is served; a handle
//! taken from an instance that re-exports an imported function checks the function's own
//! instance; and the unsafe `call_raw_on` stays unchecked (the kernel's IPC direct path).
//!
//! Thread A blocks inside a host function on a channel the test controls, so every overlap here
//! is certain, not timed. Calls that must succeed after A's call ended are made on the test's own
//! thread, alive all along, so they would see a claim A failed to release whatever thread
//! numbers the platform hands out.
//!
//! The instances are created on a thread that never runs Wasm: on the host, compiled code checks
//! the stack limit record of the thread that created its instance, and that record stays 0 (no
//! limit) when its thread never calls in; so any thread may call these instances without a
//! spurious stack-overflow trap (see docs/architecture.md, "Threads").

mod common;
use common::*;
use hayabusa_compiler::{Sig, TrapKind, ValType};
use hayabusa_compiler_host::Val::I32;
use hayabusa_compiler_host::{Extern, FuncHandle, Instance, Store, Trap, Val};
use hayabusa_runtime::CallStack;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

const WAT: &str = r#"
(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (global $count (export "count") (mut i32) (i32.const 0))
  ;; Calls the host function, which blocks (GATE) or calls back in (REENTER).
  (func (export "outer") (param i32) (result i32) (call $host (local.get 0)))
  (func (export "add") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  ;; Counts its runs: a refused call must not have run at all.
  (func (export "bump") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count))
  (func (export "boom") (param i32) (result i32) unreachable)
)"#;

/// Imports `add` from the instance above and re-exports it, next to a function of its own.
const REEXPORT: &str = r#"
(module
  (import "y" "add" (func $add (param i32) (result i32)))
  (export "add" (func $add))
  (func (export "own") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
)"#;

/// `outer`'s argument: block in the host function until the test says go.
const GATE: i32 = 0;
/// `outer`'s argument: call back into the instance from the host function (see [`reenter`]).
const REENTER: i32 = 1;

/// How long a test waits for thread A to reach the host function before failing (a deadline
/// against hanging on a regression, not a synchronisation).
const DEADLINE: Duration = Duration::from_secs(60);

type Outcome = Result<Vec<Val>, TrapKind>;

struct Fixture {
    instance: Instance,
    /// A second instance, importing `add` from `instance` (see [`REEXPORT`]).
    reexport: Instance,
    /// The host function (GATE) says it has been entered.
    entered: Mutex<Receiver<()>>,
    /// The test lets the blocked host function (GATE) return.
    leave: Sender<()>,
    /// What the host function's calls back in (REENTER) gave.
    seen: Arc<Mutex<Vec<(&'static str, Outcome)>>>,
}

fn kind(r: Result<Vec<Val>, Trap>) -> Outcome {
    r.map_err(|t| t.kind)
}

/// Runs `f` on a new thread and returns what it returns.
fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    thread::spawn(f).join().expect("thread panicked")
}

/// Calls export `name` of `instance` from a new thread.
fn call_elsewhere(instance: &Instance, name: &'static str, args: &[Val]) -> Outcome {
    let (i, args) = (instance.clone(), args.to_vec());
    on_thread(move || kind(call(&i, name, &args)))
}

/// The host function's REENTER work, on the thread running `outer`: calls back in (a result, a
/// trap, a result again), then has another thread try while `outer` still runs. Records all.
fn reenter(inst: &Instance, seen: &Mutex<Vec<(&'static str, Outcome)>>) {
    let push = |what, outcome| seen.lock().unwrap().push((what, outcome));
    push("add", kind(call(inst, "add", &[I32(41)])));
    push("boom", kind(call(inst, "boom", &[I32(0)])));
    push("add after the trap", kind(call(inst, "add", &[I32(1)])));
    push("bump from another thread", call_elsewhere(inst, "bump", &[]));
}

fn fixture() -> Fixture {
    let (entered_tx, entered_rx) = channel::<()>();
    let (leave_tx, leave_rx) = channel::<()>();
    let seen: Arc<Mutex<Vec<(&'static str, Outcome)>>> = Arc::default();
    let me: Arc<OnceLock<Instance>> = Arc::new(OnceLock::new());
    let (bound, log) = (me.clone(), seen.clone());
    let (entered_tx, leave_rx) = (Mutex::new(entered_tx), Mutex::new(leave_rx));
    let host = FuncHandle::host(
        Sig { params: vec![ValType::I32], results: vec![ValType::I32] },
        Box::new(move |args| {
            let inst = bound.get().expect("bound after instantiation");
            match args[0] {
                // No panics here (one would abort the process from inside a Wasm call): a test
                // that failed and dropped its fixture makes these fail instead, and A returns -1.
                I32(GATE) => {
                    let entered = entered_tx.lock().unwrap().send(());
                    let go = leave_rx.lock().unwrap().recv();
                    vec![I32(if entered.is_ok() && go.is_ok() { 0 } else { -1 })]
                }
                I32(REENTER) => {
                    reenter(inst, &log);
                    vec![I32(7)]
                }
                other => panic!("unexpected argument {other:?}"),
            }
        }),
    );
    let (instance, reexport) = on_thread(move || {
        let compile = |wat: &str| {
            let wasm = wat::parse_str(wat).unwrap();
            let module = hayabusa_compiler::compile(&wasm, &options(Default::default(), Default::default())).unwrap();
            (wasm, Arc::new(module))
        };
        // Leaked: the instances live as long as the process.
        let store: &'static Store = Box::leak(Box::new(Store::new()));
        let (wasm, module) = compile(WAT);
        let resolve = |m: &str, n: &str| (m == "env" && n == "host").then(|| Extern::Func(host.clone()));
        let instance = Instance::new(store, module, &wasm, &resolve).unwrap();
        let (wasm, module) = compile(REEXPORT);
        let y = instance.clone();
        let resolve = move |m: &str, n: &str| if m == "y" { y.export(n) } else { None };
        let reexport = Instance::new(store, module, &wasm, &resolve).unwrap();
        (instance, reexport)
    });
    assert!(me.set(instance.clone()).is_ok());
    Fixture { instance, reexport, entered: Mutex::new(entered_rx), leave: leave_tx, seen }
}

impl Fixture {
    /// Starts `outer(GATE)` on a new thread (A) and returns once A blocks inside the host
    /// function, that is inside a call into the instance.
    fn hold(&self) -> thread::JoinHandle<Outcome> {
        let i = self.instance.clone();
        let a = thread::spawn(move || kind(call(&i, "outer", &[I32(GATE)])));
        self.entered.lock().unwrap().recv_timeout(DEADLINE).expect("thread A entered the host function");
        a
    }

    /// Lets A's host function return and gives A's result.
    fn release(&self, a: thread::JoinHandle<Outcome>) -> Outcome {
        self.leave.send(()).unwrap();
        a.join().expect("thread A panicked")
    }

    fn count(&self) -> Val {
        match self.instance.export("count") {
            Some(Extern::Global(g)) => g.get(),
            _ => panic!("no global count"),
        }
    }
}

#[test]
fn another_thread_is_refused_while_a_call_runs_and_served_after_it() {
    let fx = fixture();
    let a = fx.hold();
    // B, through `call`: refused, and nothing of it ran.
    let refused = on_thread({
        let i = fx.instance.clone();
        move || call(&i, "bump", &[])
    });
    let trap = refused.expect_err("a second thread must not run the instance");
    assert_eq!(trap.kind, TrapKind::ConcurrentCall);
    assert_eq!(trap.to_string(), "wasm trap: instance already running on another thread");
    assert_eq!(fx.count(), I32(0), "the refused call ran no Wasm code");
    // B, through `call_raw`: refused, its slots untouched.
    let add = fx.instance.export_func("add").unwrap();
    let raw = on_thread(move || {
        let mut slots = [5u64];
        (add.call_raw(&mut slots).map_err(|t| t.kind), slots)
    });
    assert_eq!(raw, (Err(TrapKind::ConcurrentCall), [5]));
    // A is unaffected and finishes; then others are served.
    assert_eq!(fx.release(a), Ok(vec![I32(0)]));
    assert_eq!(kind(call(&fx.instance, "bump", &[])), Ok(vec![I32(1)]));
    assert_eq!(call_elsewhere(&fx.instance, "add", &[I32(1)]), Ok(vec![I32(2)]));
    assert_eq!(fx.count(), I32(1));
}

#[test]
fn a_host_function_may_call_back_into_its_instance_on_the_same_thread() {
    let fx = fixture();
    assert_eq!(call_elsewhere(&fx.instance, "outer", &[I32(REENTER)]), Ok(vec![I32(7)]));
    let seen = fx.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("add", Ok(vec![I32(42)])),
            ("boom", Err(TrapKind::Unreachable)),
            // A nested call's trap leaves the outer call's claim in place and usable...
            ("add after the trap", Ok(vec![I32(2)])),
            // ...and neither nested call released it: `outer` still ran on its thread.
            ("bump from another thread", Err(TrapKind::ConcurrentCall)),
        ]
    );
    assert_eq!(fx.count(), I32(0));
    // The outermost call released it.
    assert_eq!(kind(call(&fx.instance, "bump", &[])), Ok(vec![I32(1)]));
}

#[test]
fn a_trap_releases_the_instance() {
    let fx = fixture();
    assert_eq!(call_elsewhere(&fx.instance, "boom", &[I32(0)]), Err(TrapKind::Unreachable));
    assert_eq!(kind(call(&fx.instance, "add", &[I32(1)])), Ok(vec![I32(2)]));
    // Also through `call_raw`, twice on one thread; then another thread is served while that
    // one is still alive.
    let (boom, inst) = (fx.instance.export_func("boom").unwrap(), fx.instance.clone());
    let (twice, after) = on_thread(move || {
        let twice = [0, 1].map(|_| boom.call_raw(&mut [0]).map_err(|t| t.kind));
        (twice, call_elsewhere(&inst, "bump", &[]))
    });
    assert_eq!(twice, [Err(TrapKind::Unreachable), Err(TrapKind::Unreachable)]);
    assert_eq!(after, Ok(vec![I32(1)]));
}

#[test]
fn a_reexported_import_checks_the_instance_it_belongs_to() {
    let fx = fixture();
    let a = fx.hold();
    // `add` of the second instance runs the first one's code: refused while A runs that.
    assert_eq!(call_elsewhere(&fx.reexport, "add", &[I32(1)]), Err(TrapKind::ConcurrentCall));
    // The second instance's own code runs (the check is per instance).
    assert_eq!(call_elsewhere(&fx.reexport, "own", &[I32(21)]), Ok(vec![I32(42)]));
    assert_eq!(fx.release(a), Ok(vec![I32(0)]));
    assert_eq!(kind(call(&fx.reexport, "add", &[I32(1)])), Ok(vec![I32(2)]));
}

#[test]
fn call_raw_on_is_not_checked() {
    let fx = fixture();
    let a = fx.hold();
    let add = fx.instance.export_func("add").unwrap();
    let stack = vec![0u128; 256 * 1024 / 16];
    let bottom = stack.as_ptr() as usize;
    let on = CallStack { top: bottom + stack.len() * 16, limit: bottom + 64 * 1024 };
    let mut slots = [41u64];
    // SAFETY: `stack` is a live allocation nothing else uses during the call, with 64 KiB below
    // its limit. A holds the instance but waits in the host function, outside compiled code,
    // until `release` below, and nothing else calls in meanwhile: the exclusivity the kernel's
    // endpoint claim provides on the IPC direct path.
    let ran = unsafe { add.call_raw_on(&mut slots, on) };
    assert_eq!((ran, slots), (Ok(()), [42]));
    assert_eq!(fx.release(a), Ok(vec![I32(0)]));
}

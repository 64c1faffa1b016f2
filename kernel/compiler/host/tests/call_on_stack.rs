//! `FuncHandle::call_raw_on`: a call on a stack of the caller's choosing, as the IPC direct path
//! runs a server's handler on the server's own stack. Results come back; the call really runs on
//! that stack; a trap there unwinds to the caller, on the caller's stack; recursion stops at that
//! stack's limit however deep the caller is; the instance's limit record says what it said
//! before afterwards; and an instance made on one thread checks the stack of whichever thread
//! calls it.

mod common;
use common::*;
use hayabusa_compiler::TrapKind;
use hayabusa_compiler_host::{Extern, FuncHandle, Instance, Val};
use hayabusa_runtime::CallStack;
use std::sync::atomic::Ordering;

const WAT: &str = r#"
(module
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $depth (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func $forever (export "forever") (param i32) (result i32)
    (i32.add (call $forever (local.get 0)) (i32.const 1)))
  (func (export "boom") (param i32) (result i32) unreachable)
)"#;

/// A stack of `bytes` (16-aligned), filled with a pattern so that use shows.
struct Stack(Vec<u128>);

const PATTERN: u128 = 0xa5a5_a5a5_a5a5_a5a5_a5a5_a5a5_a5a5_a5a5;
/// Room left below the limit for the runtime's own code (as the kernel's 64 KiB margin).
const MARGIN: usize = 64 * 1024;

impl Stack {
    fn new(bytes: usize) -> Stack {
        Stack(vec![PATTERN; bytes / 16])
    }

    fn call_stack(&self) -> CallStack {
        let bottom = self.0.as_ptr() as usize;
        CallStack { top: bottom + self.0.len() * 16, limit: bottom + MARGIN }
    }

    /// Bytes at the top that are no longer the pattern.
    fn used(&self) -> usize {
        let untouched = self.0.iter().take_while(|w| **w == PATTERN).count();
        (self.0.len() - untouched) * 16
    }
}

fn func(name: &str) -> FuncHandle {
    export(&instantiate(WAT), name)
}

fn export(instance: &Instance, name: &str) -> FuncHandle {
    match instance.export(name) {
        Some(Extern::Func(f)) => f.clone(),
        _ => panic!("no export {name}"),
    }
}

fn call_on(f: &FuncHandle, arg: i32, stack: &Stack) -> Result<i32, TrapKind> {
    let mut slots = [arg as u32 as u64];
    // SAFETY: the stack is a live allocation used by nothing else during the call, and its limit
    // leaves MARGIN bytes below the deepest Wasm frame.
    unsafe { f.call_raw_on(&mut slots, stack.call_stack()) }.map(|()| slots[0] as u32 as i32).map_err(|t| t.kind)
}

#[test]
fn calls_run_on_the_given_stack_and_come_back() {
    let stack = Stack::new(1 << 20);
    let depth = func("depth");
    assert_eq!(call_on(&depth, 1000, &stack), Ok(1000));
    let used = stack.used();
    assert!(used > 1000 * 8 && used < (1 << 20) - MARGIN, "1000 frames should have used that stack: {used} bytes");
    // The same function on the thread's own stack still works afterwards.
    assert_eq!(call(&instantiate(WAT), "depth", &[hayabusa_compiler_host::Val::I32(10)]).map(|v| v[0]), Ok(hayabusa_compiler_host::Val::I32(10)));
}

#[test]
fn a_trap_on_the_given_stack_returns_to_the_caller() {
    let stack = Stack::new(256 * 1024);
    let instance = instantiate(WAT);
    let (boom, depth) = (export(&instance, "boom"), export(&instance, "depth"));
    let record = &instance.0.limits.stack_limit;
    record.store(0x1234, Ordering::Relaxed);
    assert_eq!(call_on(&boom, 0, &stack), Err(TrapKind::Unreachable));
    assert_eq!(record.load(Ordering::Relaxed), 0x1234, "the instance's record says what it said before");
    assert_eq!(call_on(&depth, 50, &stack), Ok(50), "the stack is usable again");
}

#[test]
fn recursion_stops_at_the_given_stacks_limit_whatever_the_callers_depth() {
    let stack = Stack::new(256 * 1024);
    let (forever, depth) = (func("forever"), func("depth"));
    // Exhausts the small stack: a trap at its limit, not at the thread's.
    assert_eq!(call_on(&forever, 0, &stack), Err(TrapKind::StackOverflow));
    assert!(stack.used() <= 256 * 1024 - MARGIN + 4096, "stopped near the limit: {} bytes used", stack.used());
    // Deep on the thread's own stack (nearly its whole budget), a call on the given stack still
    // has all of that stack.
    fn nested(levels: u32, depth: &FuncHandle, stack: &Stack) -> Result<i32, TrapKind> {
        if levels == 0 {
            return call_on(depth, 2000, stack);
        }
        let mut pad = [0u8; 1024];
        std::hint::black_box(&mut pad);
        nested(levels - 1, depth, stack)
    }
    assert_eq!(nested(200, &depth, &stack), Ok(2000));
}

#[test]
fn an_instance_checks_the_stack_of_the_thread_calling_it() {
    // Made here, called only from other threads: their stacks are what must be checked.
    let instance = instantiate(WAT);
    let (forever, depth) = (export(&instance, "forever"), export(&instance, "depth"));
    for _ in 0..2 {
        let (forever, depth) = (forever.clone(), depth.clone());
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || (forever.call(&[Val::I32(0)]).map_err(|t| t.kind), depth.call(&[Val::I32(1000)]).map_err(|t| t.kind)))
            .expect("thread")
            .join()
            .expect("no crash");
        assert_eq!(outcome.0.map(|_| ()), Err(TrapKind::StackOverflow), "recursion stops at the calling thread's limit");
        assert_eq!(outcome.1, Ok(vec![Val::I32(1000)]));
    }
}

#[test]
fn an_instance_calling_into_another_checks_the_stack_there_too() {
    // B's code calls A's `forever` directly: A's prologues check the record B's call filled.
    let a = instantiate(WAT);
    let forever = export(&a, "forever");
    let wat = r#"(module (import "a" "forever" (func $f (param i32) (result i32)))
                   (func (export "go") (param i32) (result i32) (call $f (local.get 0))))"#;
    let wasm = wat::parse_str(wat).expect("wat");
    let module = hayabusa_compiler::compile(&wasm, &options(hayabusa_compiler::OptLevel::Speed, hayabusa_compiler::BoundsChecks::Guard)).expect("compiles");
    let store: &'static hayabusa_compiler_host::Store = Box::leak(Box::new(hayabusa_compiler_host::Store::new()));
    let resolve = |_: &str, _: &str| Some(Extern::Func(forever.clone()));
    let b = Instance::new(store, std::sync::Arc::new(module), &wasm, &resolve).expect("instantiates");
    // From another thread, whose stack neither instance has seen.
    let go = export(&b, "go");
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || go.call(&[Val::I32(0)]).map(|_| ()).map_err(|t| t.kind))
        .expect("thread")
        .join()
        .expect("no crash");
    assert_eq!(outcome, Err(TrapKind::StackOverflow));
}

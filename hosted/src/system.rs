//! The task layer (`hayabusa-tasks`) on Linux: [`Hosted`] gives it OS threads ([`threads`]), the
//! monotonic clock and the TSC, stdout for console lines and a task's serial output, the program
//! files of a ramdisk image ([`programs`]), the compiler with this CPU's features, handler
//! stacks with guard pages ([`stack`]), and the Linux platform's entry records and pokes for
//! cancelling a task's code.
use std::fmt;
use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hayabusa_compiler::{BoundsChecks, CompileOptions, CompiledModule, OptLevel};
use hayabusa_compiler_host::{Linux, cancel, cpu};
use hayabusa_manifest::Manifest;
use hayabusa_runtime::CallStack;
use hayabusa_tasks::native::NativeBody;
use hayabusa_tasks::{CompileFailure, State, System, ThreadId};

use crate::stack::Stack;
use crate::{programs, tcpip, threads};

/// The hosted runner's system.
pub struct Hosted;

static STATE: State<Hosted> = State::new();
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the runner's start (uptime 0).
pub fn start_clock() {
    STARTED.get_or_init(Instant::now);
}

fn uptime() -> Duration {
    STARTED.get_or_init(Instant::now).elapsed()
}

fn clock_ns() -> u64 {
    uptime().as_nanos() as u64
}

/// TSC ticks per second, measured once against the monotonic clock over 50 ms.
fn tsc_hz() -> u64 {
    static HZ: OnceLock<u64> = OnceLock::new();
    *HZ.get_or_init(|| {
        let (t0, c0) = (Instant::now(), crate::tsc::read());
        std::thread::sleep(Duration::from_millis(50));
        let (t1, c1) = (Instant::now(), crate::tsc::read());
        ((c1 - c0) as f64 / (t1 - t0).as_secs_f64()) as u64
    })
}

/// Bytes the kernel would call left for tasks: here, what Linux says is available.
fn mem_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl System for Hosted {
    type P = Linux;
    type Lock = parking_lot::RawMutex;
    type Stack = Stack;

    fn state() -> &'static State<Hosted> {
        &STATE
    }

    fn spawn(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> Option<ThreadId> {
        threads::spawn(name, stack, f)
    }

    fn run_on_thread(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> bool {
        let Ok(stack) = usize::try_from(stack) else { return false };
        let body = move || {
            let _forget = threads::Forget;
            f();
        };
        let Ok(handle) = std::thread::Builder::new().name(name.to_string()).stack_size(stack).spawn(body) else { return false };
        handle.join().is_ok()
    }

    #[inline]
    fn current() -> ThreadId {
        threads::current()
    }

    fn block() {
        threads::block();
    }

    fn wake(thread: ThreadId) {
        threads::wake(thread);
    }

    /// A short sleep: the task layer yields in loops that wait for another thread.
    fn yield_now() {
        std::thread::sleep(Duration::from_micros(200));
    }

    fn blocked(thread: ThreadId) -> Option<bool> {
        threads::blocked(thread)
    }

    fn uptime_ns() -> u64 {
        clock_ns()
    }

    #[inline]
    fn cycles() -> u64 {
        crate::tsc::read()
    }

    fn cycles_hz() -> u64 {
        tsc_hz()
    }

    fn print(line: fmt::Arguments) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn serial_write(bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    fn manifest() -> Option<&'static Manifest<'static>> {
        programs::manifest()
    }

    fn native(file: &str) -> Option<NativeBody<Hosted>> {
        (file == tcpip::FILE).then_some(tcpip::body as NativeBody<Hosted>)
    }

    fn module(file: &str) -> Option<&'static [u8]> {
        programs::file(file)
    }

    fn compile(wasm: &'static [u8], opt: OptLevel) -> Result<(CompiledModule, u64), CompileFailure> {
        let options = CompileOptions { opt, cpu: cpu::host_features(), bounds: BoundsChecks::Guard, clock: Some(clock_ns) };
        let start = clock_ns();
        let module = hayabusa_compiler::compile(wasm, &options).map_err(|e| CompileFailure::Invalid(e.to_string()))?;
        Ok((module, clock_ns() - start))
    }

    fn memory_left() -> u64 {
        mem_available().unwrap_or(u64::MAX)
    }

    fn handler_stack(size: u64) -> Option<Stack> {
        Stack::new(usize::try_from(size).ok()?)
    }

    #[inline]
    fn call_stack(stack: &Stack) -> CallStack {
        stack.call_stack()
    }

    #[inline]
    fn set_owner(owner: usize) -> usize {
        cancel::set_owner(owner)
    }

    fn cancel_now() -> ! {
        cancel::cancel_now()
    }

    fn kick(thread: ThreadId) {
        threads::kick(thread);
    }

    const ABANDONED: u32 = hayabusa_runtime::cancel::ABANDONED as u32;
    const GRACE_MS: u64 = hayabusa_runtime::cancel::GRACE_TICKS as u64 * threads::TICK.as_millis() as u64;
}

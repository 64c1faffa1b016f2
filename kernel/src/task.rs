//! Tasks in the kernel: the task layer (`hayabusa-tasks`, shared with the hosted runner) on the
//! kernel's scheduler, clock, serial port, ramdisk, in-kernel compiler, stacks and trap
//! machinery. The timer interrupt abandons a killed task's running code by itself
//! (`wasm::trap::cancel_redirect`), so [`System::kick`] has nothing to do here.
use alloc::boxed::Box;
use core::fmt;

use hayabusa_compiler::{BoundsChecks, CompiledModule, OptLevel};
use hayabusa_manifest::Manifest;
use hayabusa_runtime::CallStack;
use alloc::vec::Vec;

use hayabusa_abi::Error;
use hayabusa_tasks::{CompileFailure, State, System, TaskId, ThreadId};

use crate::arch::cpu::rdtsc;
use crate::arch::irqlock::IrqSpinlock;
use crate::arch::serial;
use crate::mm::{self, Reservation};
use crate::sched::{self, thread::STACK_GUARD};
use crate::wasm::jit::{self, CompileError};
use crate::wasm::platform::{Kernel, limit_for};
use crate::wasm::trap;
use crate::{device, kprintln, programs, ramdisk, time};

/// The task layer's state in the kernel.
static STATE: State<Kernel> = State::new();

impl System for Kernel {
    type P = Kernel;
    type Lock = IrqSpinlock;
    type Stack = Reservation;

    fn state() -> &'static State<Kernel> {
        &STATE
    }

    fn spawn(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> Option<ThreadId> {
        sched::spawn_with_stack(name, stack, f).ok()
    }

    fn run_on_thread(name: &str, stack: u64, f: Box<dyn FnOnce() + Send>) -> bool {
        sched::run_on_thread(name, stack, f).is_ok()
    }

    #[inline]
    fn current() -> ThreadId {
        sched::current()
    }

    fn block() {
        sched::block();
    }

    fn wake(thread: ThreadId) {
        sched::wake(thread);
    }

    fn yield_now() {
        sched::yield_now();
    }

    fn blocked(thread: ThreadId) -> Option<bool> {
        sched::state_of(thread).map(|s| s == sched::State::Blocked)
    }

    fn uptime_ns() -> u64 {
        time::uptime_ns()
    }

    #[inline]
    fn cycles() -> u64 {
        rdtsc()
    }

    fn cycles_hz() -> u64 {
        time::tsc_hz()
    }

    fn print(line: fmt::Arguments) {
        kprintln!("{line}");
    }

    fn serial_write(bytes: &[u8]) {
        serial::write_raw(bytes);
    }

    fn manifest() -> Option<&'static Manifest<'static>> {
        programs::manifest()
    }

    fn module(file: &str) -> Option<&'static [u8]> {
        ramdisk::get()?.get(file)
    }

    fn compile(wasm: &'static [u8], opt: OptLevel) -> Result<(CompiledModule, u64), CompileFailure> {
        jit::compile(wasm, opt, BoundsChecks::Guard).map_err(|e| match e {
            CompileError::Wasm(e) => CompileFailure::Invalid(alloc::string::ToString::to_string(&e)),
            CompileError::NoStack => CompileFailure::NoMemory,
        })
    }

    fn memory_left() -> u64 {
        mm::stats().for_tasks * 4096
    }

    fn handler_stack(size: u64) -> Option<Reservation> {
        mm::reserve_stack(size, STACK_GUARD).ok()
    }

    #[inline]
    fn call_stack(stack: &Reservation) -> CallStack {
        let bottom = stack.start() + STACK_GUARD;
        CallStack { top: (stack.start() + stack.len()) as usize, limit: limit_for(bottom) }
    }

    #[inline]
    fn set_owner(owner: usize) -> usize {
        trap::set_owner(owner)
    }

    fn cancel_now() -> ! {
        trap::cancel_now()
    }

    fn kick(_: ThreadId) {}

    fn device_request(task: TaskId, kind: u32, payload: &[u8], memory: &hayabusa_tasks::Memory<Kernel>) -> Result<Vec<u8>, Error> {
        let linear = device::Linear { base: memory.base() as u64, len: memory.len_bytes() };
        device::handle(task, kind, payload, linear)
    }

    fn task_ended(id: TaskId) {
        device::task_ended(id);
    }

    fn has_device(name: &str) -> bool {
        device::present(name)
    }

    const ABANDONED: u32 = trap::ABANDONED as u32;
    const GRACE_MS: u64 = trap::GRACE_TICKS as u64 * 1000 / time::TICK_HZ as u64;
}

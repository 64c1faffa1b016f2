//! The notes thread: turns the timer's ticks and device interrupts into the task layer's
//! notifications (expired TIMERs, IRQ_BIT to a driver). Those take the task table's lock and
//! write into a task's memory, which an interrupt handler must not do, so the handlers only wake
//! this thread.
use core::sync::atomic::{AtomicU64, Ordering};

use crate::sched;
use crate::wasm::platform::Kernel;

static THREAD: AtomicU64 = AtomicU64::new(0);

/// Starts the thread (once, at boot, before the tasks).
pub fn start() {
    let spawned = sched::spawn("notes", || {
        loop {
            sched::block();
            if hayabusa_tasks::notify::due::<Kernel>(crate::time::uptime_ns()) {
                hayabusa_tasks::notify::tick::<Kernel>();
            }
            crate::device::deliver_interrupts();
        }
    });
    match spawned {
        Ok(id) => THREAD.store(id, Ordering::Release),
        Err(e) => log::error!("notes thread: {e}: no timers or device interrupts for tasks"),
    }
}

/// From the timer's interrupt handler: wakes the thread if a task's TIMER may be due or a device
/// interrupt is still to be delivered (an earlier wake found the scheduler busy).
pub fn on_tick() {
    if hayabusa_tasks::notify::due::<Kernel>(crate::time::uptime_ns()) || crate::device::interrupts_pending() {
        wake_from_interrupt();
    }
}

/// From an interrupt handler (the timer's, a device's): has the thread look again. When the
/// scheduler is busy the next tick does it.
pub fn wake_from_interrupt() {
    let id = THREAD.load(Ordering::Acquire);
    if id != 0 {
        sched::wake_from_interrupt(id);
    }
}

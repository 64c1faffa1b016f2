//! Device interrupt handlers: the local APIC timer tick, COM1 input, granted PCI devices,
//! spurious interrupts.
use ::x86_64::structures::idt::InterruptStackFrame;

use super::{apic, serial};

/// Local APIC timer.
pub const TIMER_VECTOR: u8 = 0x20;
/// COM1 (ISA IRQ 4) routed through the I/O APIC.
pub const SERIAL_VECTOR: u8 = 0x24;
/// The PCI devices granted to tasks (`crate::device`), through the I/O APIC.
pub const DEVICE_VECTOR: u8 = 0x30;
/// The legacy 8259 PICs are remapped here and fully masked; only their spurious IRQ 7 and
/// IRQ 15 can still arrive.
pub const PIC_BASE: u8 = 0xe0;
pub const PIC_SPURIOUS_MASTER: u8 = PIC_BASE + 7;
pub const PIC_SPURIOUS_SLAVE: u8 = PIC_BASE + 15;
/// Local APIC spurious-interrupt vector (needs no EOI).
pub const SPURIOUS_VECTOR: u8 = 0xff;

/// The tick: accounting, preemption, and the cancellation of a killed task's compiled code
/// (which may loop without ever calling the kernel): back on the interrupted thread, if it was
/// running a killed task's code, it resumes at the entry stub's landing pad instead.
pub extern "x86-interrupt" fn timer(mut frame: InterruptStackFrame) {
    crate::time::tick();
    apic::end_of_interrupt();
    crate::notes::on_tick();
    crate::sched::on_tick();
    if let Some(landing) = crate::wasm::trap::cancel_redirect(frame.instruction_pointer.as_u64()) {
        super::exceptions::resume_at_landing(&mut frame, landing);
    }
}

pub extern "x86-interrupt" fn serial(_frame: InterruptStackFrame) {
    serial::drain_input();
    apic::end_of_interrupt();
}

/// A granted device's line: the device layer masks it until its driver has answered.
pub extern "x86-interrupt" fn device(_frame: InterruptStackFrame) {
    crate::device::on_interrupt();
    apic::end_of_interrupt();
}

pub extern "x86-interrupt" fn spurious(_frame: InterruptStackFrame) {}

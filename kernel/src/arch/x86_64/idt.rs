//! The interrupt descriptor table: CPU exceptions (vectors 0–31) and device interrupts.
use ::x86_64::structures::idt::InterruptDescriptorTable;
use spin::Once;

use super::{exceptions as ex, gdt, irq};

static IDT: Once<InterruptDescriptorTable> = Once::new();

fn build() -> InterruptDescriptorTable {
    let mut idt = InterruptDescriptorTable::new();
    idt.divide_error.set_handler_fn(ex::divide_error);
    idt.debug.set_handler_fn(ex::debug);
    idt.breakpoint.set_handler_fn(ex::breakpoint);
    idt.overflow.set_handler_fn(ex::overflow);
    idt.bound_range_exceeded.set_handler_fn(ex::bound_range);
    idt.invalid_opcode.set_handler_fn(ex::invalid_opcode);
    idt.device_not_available.set_handler_fn(ex::device_not_available);
    idt.invalid_tss.set_handler_fn(ex::invalid_tss);
    idt.segment_not_present.set_handler_fn(ex::segment_not_present);
    idt.stack_segment_fault.set_handler_fn(ex::stack_segment);
    idt.general_protection_fault.set_handler_fn(ex::general_protection);
    idt.page_fault.set_handler_fn(ex::page_fault);
    idt.x87_floating_point.set_handler_fn(ex::x87_floating_point);
    idt.alignment_check.set_handler_fn(ex::alignment_check);
    idt.simd_floating_point.set_handler_fn(ex::simd_floating_point);
    idt.virtualization.set_handler_fn(ex::virtualization);
    idt.cp_protection_exception.set_handler_fn(ex::control_protection);
    idt.hv_injection_exception.set_handler_fn(ex::hv_injection);
    idt.vmm_communication_exception.set_handler_fn(ex::vmm_communication);
    idt.security_exception.set_handler_fn(ex::security);
    // SAFETY: the IST indices name stacks that `gdt::init` installed in the TSS, and each is
    // used by a single vector, so a nested fault of another kind cannot reuse it.
    unsafe {
        idt.double_fault.set_handler_fn(ex::double_fault).set_stack_index(gdt::DOUBLE_FAULT_IST);
        idt.non_maskable_interrupt.set_handler_fn(ex::nmi).set_stack_index(gdt::NMI_IST);
        idt.machine_check.set_handler_fn(ex::machine_check).set_stack_index(gdt::MACHINE_CHECK_IST);
    }
    idt[irq::TIMER_VECTOR].set_handler_fn(irq::timer);
    idt[irq::SERIAL_VECTOR].set_handler_fn(irq::serial);
    idt[irq::DEVICE_VECTOR].set_handler_fn(irq::device);
    idt[irq::SPURIOUS_VECTOR].set_handler_fn(irq::spurious);
    idt[irq::PIC_SPURIOUS_MASTER].set_handler_fn(irq::spurious);
    idt[irq::PIC_SPURIOUS_SLAVE].set_handler_fn(irq::spurious);
    idt
}

/// Loads the IDT. `gdt::init` must have run first (the IST stacks live in its TSS).
pub fn init() {
    IDT.call_once(build).load();
}

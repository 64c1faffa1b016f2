//! x86_64 support: descriptor tables, exceptions, interrupt controllers, timers, serial port,
//! PCI configuration space.
pub mod apic;
pub mod context;
pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod irq;
pub mod irqlock;
pub mod pci;
pub mod pit;
pub mod qemu;
pub mod serial;
#[cfg(feature = "test-hooks")]
pub mod faults;

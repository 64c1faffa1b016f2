//! Interrupt controllers: the local APIC (timer, end-of-interrupt), the I/O APIC (COM1 input)
//! and switching off the legacy 8259 PICs. The registers are reached through uncached MMIO
//! mappings made with `mm::map_mmio`.
use core::sync::atomic::{AtomicU64, Ordering};

use ::x86_64::instructions::port::Port;
use ::x86_64::registers::model_specific::Msr;

use super::irq;
use super::irqlock::IrqMutex;

const IA32_APIC_BASE: u32 = 0x1b;
const APIC_ENABLE: u64 = 1 << 11;

const REG_ID: usize = 0x20;
const REG_EOI: usize = 0xb0;
const REG_SVR: usize = 0xf0;
const REG_LVT_TIMER: usize = 0x320;
const REG_TIMER_INIT: usize = 0x380;
const REG_TIMER_CURRENT: usize = 0x390;
const REG_TIMER_DIVIDE: usize = 0x3e0;
const TIMER_PERIODIC: u32 = 1 << 17;
const LVT_MASKED: u32 = 1 << 16;

/// Physical address of the I/O APIC on PC-compatible machines and QEMU (the MADT would say
/// otherwise on exotic boards; we do not parse ACPI yet).
const IOAPIC_PHYS: u64 = 0xfec0_0000;
const COM1_GSI: u32 = 4;

static LAPIC_BASE: AtomicU64 = AtomicU64::new(0);
static TIMER_COUNT: AtomicU64 = AtomicU64::new(0);

fn lapic_reg(offset: usize) -> *mut u32 {
    (LAPIC_BASE.load(Ordering::Relaxed) as usize + offset) as *mut u32
}

fn lapic_read(offset: usize) -> u32 {
    // SAFETY: LAPIC_BASE is an uncached mapping of the 4 KiB local APIC page made in `init`,
    // and `offset` is one of the register offsets above, 16-byte aligned and inside the page.
    unsafe { lapic_reg(offset).read_volatile() }
}

fn lapic_write(offset: usize, value: u32) {
    // SAFETY: as in `lapic_read`.
    unsafe { lapic_reg(offset).write_volatile(value) }
}

/// Signals end-of-interrupt to the local APIC.
pub fn end_of_interrupt() {
    if LAPIC_BASE.load(Ordering::Relaxed) != 0 {
        lapic_write(REG_EOI, 0);
    }
}

fn disable_legacy_pics() {
    let mut m_cmd = Port::<u8>::new(0x20);
    let mut m_data = Port::<u8>::new(0x21);
    let mut s_cmd = Port::<u8>::new(0xa0);
    let mut s_data = Port::<u8>::new(0xa1);
    // SAFETY: the standard 8259 initialisation sequence on the standard ports: remap both PICs
    // to vectors PIC_BASE.. (so a stray IRQ cannot look like a CPU exception) and mask every line.
    unsafe {
        m_cmd.write(0x11);
        s_cmd.write(0x11);
        m_data.write(irq::PIC_BASE);
        s_data.write(irq::PIC_BASE + 8);
        m_data.write(4);
        s_data.write(2);
        m_data.write(1);
        s_data.write(1);
        m_data.write(0xff);
        s_data.write(0xff);
    }
}

/// Enables the local APIC of this CPU and returns its ID.
pub fn init_local() -> u32 {
    disable_legacy_pics();
    let mut base_msr = Msr::new(IA32_APIC_BASE);
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU; setting the global enable bit keeps the
    // APIC at the base address the firmware chose.
    let phys = unsafe {
        let value = base_msr.read() | APIC_ENABLE;
        base_msr.write(value);
        value & 0x000f_ffff_ffff_f000
    };
    let virt = crate::mm::map_mmio(phys, 4096).expect("cannot map the local APIC");
    LAPIC_BASE.store(virt, Ordering::Relaxed);
    lapic_write(REG_SVR, 0x100 | u32::from(irq::SPURIOUS_VECTOR));
    lapic_read(REG_ID) >> 24
}

/// Starts the APIC timer at `hz` interrupts per second, calibrated against the TSC.
/// Returns the APIC timer frequency (after the divide-by-16) in Hz.
pub fn start_timer(hz: u32, tsc_hz: u64) -> u64 {
    lapic_write(REG_TIMER_DIVIDE, 0b0011); // divide by 16
    lapic_write(REG_LVT_TIMER, LVT_MASKED | u32::from(irq::TIMER_VECTOR));
    lapic_write(REG_TIMER_INIT, u32::MAX);
    let start = super::cpu::rdtsc();
    let wait = tsc_hz / 100; // 10 ms
    while super::cpu::rdtsc() - start < wait {
        core::hint::spin_loop();
    }
    let elapsed = u64::from(u32::MAX - lapic_read(REG_TIMER_CURRENT));
    let apic_hz = elapsed * 100;
    let count = (apic_hz / u64::from(hz)).max(1);
    TIMER_COUNT.store(count, Ordering::Relaxed);
    lapic_write(REG_LVT_TIMER, TIMER_PERIODIC | u32::from(irq::TIMER_VECTOR));
    lapic_write(REG_TIMER_INIT, count as u32);
    apic_hz
}

/// The I/O APIC's registers, mapped once.
static IOAPIC_BASE: AtomicU64 = AtomicU64::new(0);
/// Serialises the I/O APIC's select-then-access register pairs (on any CPU; interrupts off,
/// since a device's handler masks its line).
static IOAPIC_LOCK: IrqMutex<()> = IrqMutex::new(());

/// Writes redirection entry `gsi` (low word last, so it is unmasked only when complete). `None`
/// when the I/O APIC cannot be mapped.
fn ioapic_write_entry(gsi: u32, low: u32, high: u32) -> Option<()> {
    let mut base = IOAPIC_BASE.load(Ordering::Acquire);
    if base == 0 {
        base = crate::mm::map_mmio(IOAPIC_PHYS, 4096).ok()?;
        IOAPIC_BASE.store(base, Ordering::Release);
    }
    let select = base as *mut u32;
    let window = (base + 0x10) as *mut u32;
    let entry = 0x10 + 2 * gsi;
    let _guard = IOAPIC_LOCK.lock();
    // SAFETY: `base` maps the I/O APIC page uncached; IOREGSEL (offset 0) and IOWIN (offset 0x10)
    // are its two registers, used in pairs under `IOAPIC_LOCK`; callers pass GSIs below 24, the
    // entries every I/O APIC has.
    unsafe {
        select.write_volatile(entry + 1);
        window.write_volatile(high);
        select.write_volatile(entry);
        window.write_volatile(low);
    }
    Some(())
}

/// Routes COM1's interrupt (ISA IRQ 4) to `irq::SERIAL_VECTOR` on the CPU with `apic_id`.
pub fn route_serial_irq(apic_id: u32) {
    // Fixed delivery, physical mode, edge, active high.
    ioapic_write_entry(COM1_GSI, u32::from(irq::SERIAL_VECTOR), apic_id << 24).expect("cannot map the I/O APIC");
}

/// Level-triggered, active-high delivery (PCI INTx lines as QEMU wires them).
const LEVEL: u32 = 1 << 15;
const MASKED: u32 = 1 << 16;

/// Routes PCI interrupt line `gsi` (below 24) to `vector` on the CPU with `apic_id`, masked or
/// not. False if the I/O APIC cannot be reached.
pub fn route_pci_irq(gsi: u32, vector: u8, apic_id: u32, masked: bool) -> bool {
    if gsi >= 24 {
        return false;
    }
    let low = u32::from(vector) | LEVEL | if masked { MASKED } else { 0 };
    ioapic_write_entry(gsi, low, apic_id << 24).is_some()
}

/// The local APIC id of this CPU.
pub fn local_id() -> u32 {
    lapic_read(REG_ID) >> 24
}

//! PCI configuration space through the legacy I/O ports 0xcf8/0xcfc (configuration mechanism
//! #1, which QEMU's q35 and every PC chipset provide): 32-bit reads and writes of one function's
//! 256-byte header.
use ::x86_64::instructions::port::Port;

use super::irqlock::IrqMutex;

/// The address/data port pair is one shared register: every access holds this lock.
static PORTS: IrqMutex<()> = IrqMutex::new(());

/// A function's location: bus, device (0..32), function (0..8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

fn address(at: Location, offset: u8) -> u32 {
    0x8000_0000
        | (u32::from(at.bus) << 16)
        | (u32::from(at.device & 0x1f) << 11)
        | (u32::from(at.function & 0x7) << 8)
        | u32::from(offset & 0xfc)
}

/// Reads the aligned dword at `offset` of `at`'s configuration header.
pub fn read(at: Location, offset: u8) -> u32 {
    let _guard = PORTS.lock();
    // SAFETY: 0xcf8/0xcfc are the PCI configuration ports; writing an enabled address and
    // reading the data port has no effect beyond the read, and the lock keeps the pair together.
    unsafe {
        Port::<u32>::new(0xcf8).write(address(at, offset));
        Port::<u32>::new(0xcfc).read()
    }
}

/// Writes the aligned dword at `offset` of `at`'s configuration header.
pub fn write(at: Location, offset: u8, value: u32) {
    let _guard = PORTS.lock();
    // SAFETY: as in `read`; what the write does to the device is the caller's decision (the
    // device layer refuses writes that would move a BAR).
    unsafe {
        Port::<u32>::new(0xcf8).write(address(at, offset));
        Port::<u32>::new(0xcfc).write(value);
    }
}

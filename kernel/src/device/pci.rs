//! Finding the devices the kernel can grant on PCI bus 0, and what their headers say: ids,
//! interrupt pin, and each BAR's address, size and kind (sized once at boot, while no driver
//! runs, so a driver never has to move a BAR to size it).
use crate::arch::pci::{self, Location};

/// A base address register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bar {
    pub phys: u64,
    pub size: u64,
    pub kind: BarKind,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BarKind {
    /// Not implemented, or the upper half of a 64-bit BAR.
    #[default]
    None,
    Io,
    Mem32,
    Mem64,
}

impl BarKind {
    /// The number a device request reports it as.
    pub fn code(self) -> u32 {
        match self {
            BarKind::None => 0,
            BarKind::Io => 1,
            BarKind::Mem32 => 2,
            BarKind::Mem64 => 3,
        }
    }
}

/// One function found on the bus.
#[derive(Clone, Copy, Debug)]
pub struct Function {
    pub at: Location,
    pub vendor: u16,
    pub device: u16,
    /// Interrupt pin: 1 = INTA .. 4 = INTD, 0 = none.
    pub pin: u8,
    pub bars: [Bar; 6],
    /// What the command register said at boot.
    pub command: u16,
}

pub const COMMAND: u8 = 0x04;
pub const COMMAND_IO: u32 = 1 << 0;
pub const COMMAND_MEMORY: u32 = 1 << 1;
pub const COMMAND_BUS_MASTER: u32 = 1 << 2;
pub const COMMAND_INTX_DISABLE: u32 = 1 << 10;
pub const BAR0: u8 = 0x10;
/// The expansion ROM's base register, also never written by a driver.
pub const ROM: u8 = 0x30;

/// Every function on bus 0 (QEMU's q35 puts `-device`s there unless told otherwise).
pub fn scan_bus0() -> alloc::vec::Vec<Function> {
    let mut found = alloc::vec::Vec::new();
    for device in 0..32 {
        for function in 0..8 {
            let at = Location { bus: 0, device, function };
            let id = pci::read(at, 0);
            if id & 0xffff == 0xffff {
                if function == 0 {
                    break;
                }
                continue;
            }
            found.push(read_function(at, id));
            // Single-function devices answer for functions 1..8 too on some chipsets.
            if function == 0 && pci::read(at, 0x0c) & (0x80 << 16) == 0 {
                break;
            }
        }
    }
    found
}

fn read_function(at: Location, id: u32) -> Function {
    let command = pci::read(at, COMMAND) & 0xffff;
    let pin = ((pci::read(at, 0x3c) >> 8) & 0xff) as u8;
    let mut bars = [Bar::default(); 6];
    let header_type = (pci::read(at, 0x0c) >> 16) & 0x7f;
    if header_type == 0 {
        // Decoding off while the BARs hold all-ones.
        pci::write(at, COMMAND, command & !(COMMAND_IO | COMMAND_MEMORY));
        let mut i = 0;
        while i < 6 {
            let (bar, used) = size_bar(at, i);
            bars[i] = bar;
            i += used;
        }
        pci::write(at, COMMAND, command);
    }
    Function { at, vendor: id as u16, device: (id >> 16) as u16, pin, bars, command: command as u16 }
}

/// Sizes BAR `i` (the classic write-all-ones probe) and restores it. Returns the BAR and how
/// many registers it takes (2 for a 64-bit one).
fn size_bar(at: Location, i: usize) -> (Bar, usize) {
    let reg = BAR0 + 4 * i as u8;
    let original = pci::read(at, reg);
    pci::write(at, reg, u32::MAX);
    let mask = pci::read(at, reg);
    pci::write(at, reg, original);
    if mask == 0 {
        return (Bar::default(), 1);
    }
    if original & 1 == 1 {
        let size = u64::from(!(mask & !0x3)).wrapping_add(1) & 0xffff;
        return (Bar { phys: u64::from(original & !0x3), size, kind: BarKind::Io }, 1);
    }
    if (original >> 1) & 0x3 == 0x2 && i < 5 {
        let high_reg = reg + 4;
        let high = pci::read(at, high_reg);
        pci::write(at, high_reg, u32::MAX);
        let high_mask = pci::read(at, high_reg);
        pci::write(at, high_reg, high);
        let full_mask = (u64::from(high_mask) << 32) | u64::from(mask & !0xf);
        let phys = (u64::from(high) << 32) | u64::from(original & !0xf);
        return (Bar { phys, size: (!full_mask).wrapping_add(1), kind: BarKind::Mem64 }, 2);
    }
    let size = u64::from(!(mask & !0xf)).wrapping_add(1);
    (Bar { phys: u64::from(original & !0xf), size, kind: BarKind::Mem32 }, 1)
}

/// The I/O APIC input of a device's INTx pin on QEMU's q35: the ICH9 routes pin P of slot S
/// (below 25) to PIRQ E..H as `(S + P) % 4`, which reach GSIs 20..23 (the same table QEMU's
/// ACPI `_PRT` gives). `None` without a pin.
pub fn q35_gsi(f: &Function) -> Option<u32> {
    if f.pin == 0 || f.pin > 4 || f.at.bus != 0 || f.at.device >= 25 {
        return None;
    }
    Some(20 + (u32::from(f.at.device) + u32::from(f.pin) - 1) % 4)
}

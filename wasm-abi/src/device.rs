//! Client side of the device requests to task 1 (DEVICE_OPEN, PCI_CONFIG, DEVICE_MAP, IRQ_ACK;
//! see [`crate::kernel`] and docs/abi.md, "Devices"), for driver programs.
use crate::{Error, Message, TaskId, call, kernel};

/// A base address register of an opened device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bar {
    pub phys: u64,
    pub size: u64,
    /// 0 none, 1 I/O ports, 2 32-bit memory, 3 64-bit memory.
    pub kind: u32,
}

impl Bar {
    /// Whether it is memory the kernel can map (DEVICE_MAP).
    pub fn is_memory(&self) -> bool {
        matches!(self.kind, 2 | 3) && self.size != 0
    }
}

/// A device this task holds (DEVICE_OPEN's reply).
#[derive(Clone, Copy, Debug)]
pub struct Device {
    pub handle: u32,
    pub vendor: u16,
    pub device: u16,
    /// Its interrupt line, if it has one the kernel routes.
    pub irq: Option<u32>,
    pub bars: [Bar; 6],
}

fn u32_at(msg: &Message, at: usize) -> Result<u32, Error> {
    msg.u32_at(at).ok_or(Error::BadReply)
}

fn u64_at(msg: &Message, at: usize) -> Result<u64, Error> {
    msg.u64_at(at).ok_or(Error::BadReply)
}

fn request(kind: u32, words: &[u32]) -> Result<Message, Error> {
    let mut payload = [0u8; 20];
    for (i, w) in words.iter().enumerate() {
        payload[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    let mut msg = Message::with_payload(kind, &payload[..4 * words.len()])?;
    call(TaskId::KERNEL, &mut msg)?;
    Ok(msg)
}

impl Device {
    /// Opens the device the manifest grants as `name` (`device = NAME`).
    pub fn open(name: &str) -> Result<Device, Error> {
        let mut msg = Message::with_payload(kernel::DEVICE_OPEN, name.as_bytes())?;
        call(TaskId::KERNEL, &mut msg)?;
        let ids = u32_at(&msg, 4)?;
        let irq = u32_at(&msg, 8)?;
        let mut bars = [Bar::default(); 6];
        for (i, bar) in bars.iter_mut().enumerate() {
            let at = 16 + 24 * i;
            *bar = Bar { phys: u64_at(&msg, at)?, size: u64_at(&msg, at + 8)?, kind: u32_at(&msg, at + 16)? };
        }
        Ok(Device { handle: u32_at(&msg, 0)?, vendor: ids as u16, device: (ids >> 16) as u16, irq: (irq != u32::MAX).then_some(irq), bars })
    }

    /// Reads the dword at `offset` of its PCI configuration header.
    pub fn config_read(&self, offset: u8) -> Result<u32, Error> {
        u32_at(&request(kernel::PCI_CONFIG, &[self.handle, u32::from(offset), 4, 0, 0])?, 0)
    }

    /// Writes the dword at `offset` of its PCI configuration header.
    pub fn config_write(&self, offset: u8, value: u32) -> Result<(), Error> {
        request(kernel::PCI_CONFIG, &[self.handle, u32::from(offset), 4, 1, value]).map(drop)
    }

    /// Maps BAR `bar` at linear address `addr` (page-aligned, inside memory); its physical address.
    pub fn map_bar(&self, bar: u32, addr: u32) -> Result<u64, Error> {
        u64_at(&request(kernel::DEVICE_MAP, &[self.handle, bar, addr, 0])?, 0)
    }

    /// Maps `pages` physically contiguous DMA pages at `addr`; the physical address of the first.
    pub fn map_dma(&self, addr: u32, pages: u32) -> Result<u64, Error> {
        u64_at(&request(kernel::DEVICE_MAP, &[self.handle, u32::MAX, addr, pages])?, 0)
    }

    /// Unmasks its interrupt line once the device has been served.
    pub fn irq_ack(&self) -> Result<(), Error> {
        request(kernel::IRQ_ACK, &[self.handle]).map(drop)
    }
}

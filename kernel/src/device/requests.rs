//! The device requests to task 1 (kinds in `hayabusa_abi::kernel`): DEVICE_OPEN, PCI_CONFIG,
//! DEVICE_MAP and IRQ_ACK, answered for the task that holds (or opens) a device. The task layer
//! has checked that the caller's manifest entry names the device it opens; everything else is
//! checked here: the holder, offsets, widths and the window inside the caller's memory.
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use hayabusa_abi::{Error, kernel};
use hayabusa_ipc::TaskId;

use super::pci::{self as header, BarKind};
use super::{Device, devices};
use crate::arch::pci;
use crate::arch::{apic, irq};
use crate::mm::window::{self, WindowError};

/// Most DMA pages one grant may have mapped (4 MiB), and per request.
const MAX_DMA_PAGES: u64 = 1024;
const MAX_DMA_PAGES_AT_ONCE: u64 = 256;
/// Largest register window mapped (16 MiB).
const MAX_BAR_PAGES: u64 = 4096;
/// DEVICE_MAP's `what` for DMA frames (else a BAR index).
const MAP_DMA: u32 = u32::MAX;

/// The caller's linear memory: where it starts in the kernel's address space, and its size.
pub struct Linear {
    pub base: u64,
    pub len: u64,
}

fn word(payload: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(payload[4 * i..4 * i + 4].try_into().expect("4 bytes"))
}

/// Answers device request `kind` of task `task` with `payload`; the reply's payload.
pub fn handle(task: TaskId, kind: u32, payload: &[u8], memory: Linear) -> Result<Vec<u8>, Error> {
    match kind {
        kernel::DEVICE_OPEN => open(task, payload),
        kernel::PCI_CONFIG if payload.len() == 20 => {
            let d = held(task, word(payload, 0))?;
            config(d, word(payload, 1), word(payload, 2), word(payload, 3) != 0, word(payload, 4))
        }
        kernel::DEVICE_MAP if payload.len() == 16 => {
            let d = held(task, word(payload, 0))?;
            map(d, word(payload, 1), word(payload, 2), word(payload, 3), &memory).map(|phys| phys.to_le_bytes().to_vec())
        }
        kernel::IRQ_ACK if payload.len() == 4 => {
            let d = held(task, word(payload, 0))?;
            let gsi = d.gsi.ok_or(Error::Unsupported)?;
            apic::route_pci_irq(gsi, irq::DEVICE_VECTOR, apic::local_id(), false);
            Ok(Vec::new())
        }
        _ => Err(Error::BadArgument),
    }
}

/// The device with handle `index` (what DEVICE_OPEN returned), if `task` holds it.
fn held(task: TaskId, index: u32) -> Result<&'static Device, Error> {
    let d = devices().get(index as usize).ok_or(Error::BadArgument)?;
    if d.holder.load(Ordering::Acquire) != task {
        return Err(Error::Denied);
    }
    Ok(d)
}

/// DEVICE_OPEN: payload the device's name; reply its handle and header (see docs/abi.md).
fn open(task: TaskId, name: &[u8]) -> Result<Vec<u8>, Error> {
    let (index, d) = devices().iter().enumerate().find(|(_, d)| d.name.as_bytes() == name).ok_or(Error::NotFound)?;
    if let Err(holder) = d.holder.compare_exchange(0, task, Ordering::AcqRel, Ordering::Acquire)
        && holder != task
    {
        return Err(Error::Busy);
    }
    let f = &d.function;
    let command = pci::read(f.at, header::COMMAND);
    let on = (command | header::COMMAND_MEMORY | header::COMMAND_BUS_MASTER) & !header::COMMAND_INTX_DISABLE;
    pci::write(f.at, header::COMMAND, on & 0xffff);
    let mut reply = Vec::with_capacity(16 + 6 * 24);
    for value in [index as u32, u32::from(f.vendor) | u32::from(f.device) << 16, d.gsi.unwrap_or(u32::MAX), u32::from(f.pin)] {
        reply.extend_from_slice(&value.to_le_bytes());
    }
    for bar in &f.bars {
        reply.extend_from_slice(&bar.phys.to_le_bytes());
        reply.extend_from_slice(&bar.size.to_le_bytes());
        reply.extend_from_slice(&bar.kind.code().to_le_bytes());
        reply.extend_from_slice(&0u32.to_le_bytes());
    }
    if let Some(gsi) = d.gsi {
        apic::route_pci_irq(gsi, irq::DEVICE_VECTOR, apic::local_id(), false);
    }
    Ok(reply)
}

/// Which BAR a header offset falls in (the expansion ROM counts as a seventh).
fn bar_of(offset: u32) -> Option<usize> {
    let base = u32::from(header::BAR0);
    if (base..base + 24).contains(&offset) {
        Some(((offset - base) / 4) as usize)
    } else if (u32::from(header::ROM)..u32::from(header::ROM) + 4).contains(&offset) {
        Some(6)
    } else {
        None
    }
}

/// PCI_CONFIG: reads or writes `width` bytes at `offset` of the header. BAR registers are never
/// written: a size probe (all-ones) makes the next read give the size mask the kernel found at
/// boot, as the hardware would, and any other value is ignored.
fn config(d: &Device, offset: u32, width: u32, write: bool, value: u32) -> Result<Vec<u8>, Error> {
    if !matches!(width, 1 | 2 | 4) || offset >= 256 || !offset.is_multiple_of(width) {
        return Err(Error::BadArgument);
    }
    let at = d.function.at;
    let aligned = (offset & !3) as u8;
    let shift = (offset & 3) * 8;
    let mask = if width == 4 { u32::MAX } else { ((1u32 << (width * 8)) - 1) << shift };
    let mut state = d.state.lock();
    if let Some(bar) = bar_of(offset) {
        if write {
            if bar < 6 {
                state.sizing[bar] = width == 4 && value == u32::MAX;
            }
            return Ok(Vec::new());
        }
        let real = pci::read(at, aligned);
        let shown = if bar < 6 && state.sizing[bar] { size_mask(d, bar, real) } else { real };
        return Ok(((shown & mask) >> shift).to_le_bytes().to_vec());
    }
    if write {
        let old = pci::read(at, aligned);
        pci::write(at, aligned, (old & !mask) | ((value << shift) & mask));
        return Ok(Vec::new());
    }
    Ok(((pci::read(at, aligned) & mask) >> shift).to_le_bytes().to_vec())
}

/// What BAR register `i` reads as after an all-ones write.
fn size_mask(d: &Device, i: usize, real: u32) -> u32 {
    let bars = &d.function.bars;
    let bar = bars[i];
    match bar.kind {
        BarKind::Io => (!(bar.size.wrapping_sub(1)) as u32 & !0x3) | (real & 0x3),
        BarKind::Mem32 | BarKind::Mem64 => (!(bar.size.wrapping_sub(1)) as u32 & !0xf) | (real & 0xf),
        BarKind::None if i > 0 && bars[i - 1].kind == BarKind::Mem64 => (!(bars[i - 1].size.wrapping_sub(1)) >> 32) as u32,
        BarKind::None => 0,
    }
}

/// DEVICE_MAP: maps BAR `what` (its whole size), or `pages` fresh DMA frames, at linear address
/// `addr`; returns the physical address mapped there.
fn map(d: &Device, what: u32, addr: u32, pages: u32, memory: &Linear) -> Result<u64, Error> {
    let window_err = |e| match e {
        WindowError::BadRange => Error::BadPointer,
        WindowError::NoMemory => Error::TooLarge,
    };
    let in_memory = |pages: u64| u64::from(addr) + pages * 4096 <= memory.len && addr.is_multiple_of(4096);
    if what == MAP_DMA {
        let pages = u64::from(pages);
        if pages == 0 || pages > MAX_DMA_PAGES_AT_ONCE {
            return Err(Error::TooLarge);
        }
        if !in_memory(pages) {
            return Err(Error::BadPointer);
        }
        let mut state = d.state.lock();
        if state.dma_pages + pages > MAX_DMA_PAGES {
            return Err(Error::TooLarge);
        }
        let phys = window::map_dma(memory.base + u64::from(addr), pages).map_err(window_err)?;
        state.dma_pages += pages;
        return Ok(phys);
    }
    let bar = *d.function.bars.get(what as usize).ok_or(Error::BadArgument)?;
    if !matches!(bar.kind, BarKind::Mem32 | BarKind::Mem64) || !bar.phys.is_multiple_of(4096) || bar.size == 0 {
        return Err(Error::BadArgument);
    }
    let pages = bar.size.div_ceil(4096);
    if pages > MAX_BAR_PAGES {
        return Err(Error::TooLarge);
    }
    if !in_memory(pages) {
        return Err(Error::BadPointer);
    }
    window::map_registers(memory.base + u64::from(addr), bar.phys, pages).map_err(window_err)?;
    Ok(bar.phys)
}

/// Stops device `d` after its holder ended: no bus mastering (no more DMA into frames about to
/// be freed), no decoding, its line masked.
pub fn quiesce(d: &Device) {
    let at = d.function.at;
    let command = pci::read(at, header::COMMAND);
    pci::write(at, header::COMMAND, command & 0xffff & !(header::COMMAND_BUS_MASTER | header::COMMAND_MEMORY | header::COMMAND_IO));
    if let Some(gsi) = d.gsi {
        apic::route_pci_irq(gsi, irq::DEVICE_VECTOR, apic::local_id(), true);
    }
}

//! The glue virtio-drivers needs (`Hal`): DMA memory and device registers, both windows the
//! kernel maps into this task's linear memory (DEVICE_MAP), and bounce buffers. The one module
//! of the driver with unsafe code: it turns linear-memory addresses into pointers.
//!
//! Linear memory is laid out at start: the kernel maps each memory BAR, then one DMA pool, over
//! pages this task grew for them and never hands to anything else. The pool's first part holds
//! the virtqueues (`dma_alloc`, never freed while the device runs); the rest are 2 KiB bounce
//! slots: `share` copies a buffer there (the device sees only pool memory, whose physical
//! addresses the kernel gave), `unshare` copies it back and frees the slot.
#![allow(unsafe_code)]

use core::ptr::NonNull;

use hayabusa_abi::Error;
use hayabusa_abi::device::Device;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

const PAGE: u32 = 4096;
const WASM_PAGE: u32 = 65536;
/// Pool pages for virtqueues.
const QUEUE_PAGES: u32 = 16;
/// Bounce slots (2 KiB each: a whole frame with its virtio header).
const SLOT: u32 = 2048;
const SLOTS: u32 = 64;
const POOL_PAGES: u32 = QUEUE_PAGES + SLOTS * SLOT / PAGE;

/// A window: where it is in linear memory and at what physical address.
#[derive(Clone, Copy, Default)]
struct Window {
    addr: u32,
    phys: u64,
    len: u64,
}

struct Pool {
    bars: [Window; 6],
    dma: Window,
    /// Next free queue page.
    queue_next: u32,
    /// Bit i: slot i is in use.
    slots: u64,
}

static POOL: spin::Mutex<Pool> =
    spin::Mutex::new(Pool { bars: [Window { addr: 0, phys: 0, len: 0 }; 6], dma: Window { addr: 0, phys: 0, len: 0 }, queue_next: 0, slots: 0 });

/// Grows linear memory by whole Wasm pages covering `bytes`; the address of the new part.
fn grow(bytes: u64) -> Result<u32, Error> {
    let pages = bytes.div_ceil(u64::from(WASM_PAGE)) as usize;
    let old = core::arch::wasm32::memory_grow(0, pages);
    if old == usize::MAX {
        return Err(Error::TooLarge);
    }
    u32::try_from(old).ok().and_then(|p| p.checked_mul(WASM_PAGE)).ok_or(Error::TooLarge)
}

/// Maps `device`'s memory BARs and the DMA pool into fresh linear memory.
pub fn init(device: &Device) -> Result<(), Error> {
    let mut pool = POOL.lock();
    for (i, bar) in device.bars.iter().enumerate() {
        if bar.is_memory() {
            let addr = grow(bar.size)?;
            let phys = device.map_bar(i as u32, addr)?;
            pool.bars[i] = Window { addr, phys, len: bar.size };
        }
    }
    let addr = grow(u64::from(POOL_PAGES * PAGE))?;
    let phys = device.map_dma(addr, POOL_PAGES)?;
    pool.dma = Window { addr, phys, len: u64::from(POOL_PAGES * PAGE) };
    Ok(())
}

fn pointer(addr: u32) -> NonNull<u8> {
    NonNull::new(addr as usize as *mut u8).unwrap_or(NonNull::dangling())
}

/// Zero-sized: the state is [`POOL`].
pub struct KernelHal;

// SAFETY: DMA memory comes from the pool the kernel mapped (physically contiguous, its physical
// address known), is handed out once and stays mapped while this task lives; MMIO addresses
// translate into the BAR windows the kernel mapped (uncached); `share` returns the physical
// address of a slot holding the buffer's bytes, which stays the device's until `unshare`.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let mut pool = POOL.lock();
        let pages = pages as u32;
        // Out of queue pages is a driver bug (two queues of 16 entries need 4): stop.
        assert!(pool.queue_next + pages <= QUEUE_PAGES, "virtio-net: DMA queue pool exhausted");
        let offset = pool.queue_next * PAGE;
        pool.queue_next += pages;
        let addr = pool.dma.addr + offset;
        // The pool is zeroed by the kernel, and never reused.
        (pool.dma.phys + u64::from(offset), pointer(addr))
    }

    unsafe fn dma_dealloc(_paddr: PhysAddr, _vaddr: NonNull<u8>, _pages: usize) -> i32 {
        0 // Queues live as long as the task.
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        let pool = POOL.lock();
        let window = pool.bars.iter().find(|w| w.len != 0 && paddr >= w.phys && paddr + size as u64 <= w.phys + w.len);
        let window = window.expect("virtio-net: registers outside every mapped BAR");
        pointer(window.addr + (paddr - window.phys) as u32)
    }

    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> PhysAddr {
        let len = buffer.len();
        assert!(len <= SLOT as usize, "virtio-net: buffer larger than a bounce slot");
        let mut pool = POOL.lock();
        let free = (!pool.slots).trailing_zeros();
        assert!(free < SLOTS, "virtio-net: bounce slots exhausted");
        pool.slots |= 1 << free;
        let offset = QUEUE_PAGES * PAGE + free * SLOT;
        let slot = pointer(pool.dma.addr + offset);
        if direction != BufferDirection::DeviceToDriver {
            // SAFETY: `buffer` is valid for reads of `len` bytes (the caller's promise) and the
            // slot is 2 KiB of pool memory nobody else uses now; they cannot overlap (the pool
            // is not part of any buffer the driver owns).
            unsafe { core::ptr::copy_nonoverlapping(buffer.as_ptr() as *const u8, slot.as_ptr(), len) };
        }
        pool.dma.phys + u64::from(offset)
    }

    unsafe fn unshare(paddr: PhysAddr, buffer: NonNull<[u8]>, direction: BufferDirection) {
        let mut pool = POOL.lock();
        let offset = (paddr - pool.dma.phys) as u32;
        let index = (offset - QUEUE_PAGES * PAGE) / SLOT;
        if direction != BufferDirection::DriverToDevice {
            let slot = pointer(pool.dma.addr + offset);
            // SAFETY: the slot holds what the device wrote (it gave the buffer back), and
            // `buffer` is valid for writes of its length (the caller's promise), at most a slot.
            unsafe { core::ptr::copy_nonoverlapping(slot.as_ptr(), buffer.as_ptr() as *mut u8, buffer.len()) };
        }
        pool.slots &= !(1 << index);
    }
}

//! Devices granted to tasks: the kernel finds them on PCI at boot; a task whose manifest entry
//! says `device = NAME` may open one (one holder at a time), read and write its configuration
//! header, have its registers and DMA frames mapped into its linear memory, and receive its
//! interrupts as notifications ([`requests`], `docs/abi.md`, "Devices"). When the holder ends —
//! exit, trap or kill — the device is quiesced (bus mastering and decoding off, line masked) and
//! free to be opened again.
pub mod pci;
mod requests;

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use hayabusa_ipc::TaskId;

use crate::arch::irqlock::IrqMutex;
use crate::arch::{apic, irq};
use pci::Function;

pub use requests::{Linear, handle};

/// The devices the kernel can grant, by manifest name: (name, vendor, device ids).
const KNOWN: [(&str, u16, [u16; 2]); 1] = [("virtio-net", 0x1af4, [0x1000, 0x1041])];

/// One grantable device.
pub struct Device {
    pub name: &'static str,
    pub function: Function,
    /// Its I/O APIC input, if it has an interrupt line we know how to route.
    pub gsi: Option<u32>,
    /// The task holding it (0: none).
    holder: AtomicI32,
    /// An interrupt came since the notes thread last looked.
    irq_pending: AtomicBool,
    /// What its holder changed, undone when it ends.
    state: IrqMutex<GrantState>,
}

/// Per-grant bookkeeping.
#[derive(Default)]
struct GrantState {
    /// A BAR register written with all-ones (a size probe): reads give the size mask until the
    /// next write.
    sizing: [bool; 6],
    /// DMA pages mapped so far for this grant.
    dma_pages: u64,
}

static DEVICES: spin::Once<Vec<Device>> = spin::Once::new();

/// Finds the known devices (once, at boot).
pub fn init() {
    let found = pci::scan_bus0();
    let devices = DEVICES.call_once(|| {
        let mut devices = Vec::new();
        for f in found {
            if let Some((name, _, _)) = KNOWN.iter().find(|(_, v, ids)| *v == f.vendor && ids.contains(&f.device)) {
                if devices.iter().any(|d: &Device| d.name == *name) {
                    continue; // The first of each kind is the one a manifest name means.
                }
                devices.push(Device {
                    name,
                    gsi: pci::q35_gsi(&f),
                    function: f,
                    holder: AtomicI32::new(0),
                    irq_pending: AtomicBool::new(false),
                    state: IrqMutex::new(GrantState::default()),
                });
            }
        }
        devices
    });
    for d in devices {
        let at = d.function.at;
        log::info!("device: {} at {:02x}:{:02x}.{} (irq {:?})", d.name, at.bus, at.device, at.function, d.gsi);
        if let Some(gsi) = d.gsi {
            apic::route_pci_irq(gsi, irq::DEVICE_VECTOR, apic::local_id(), true);
        }
    }
}

fn devices() -> &'static [Device] {
    DEVICES.get().map_or(&[], |d| d.as_slice())
}

/// From the device vector's handler: every held device's line is masked (its driver unmasks it
/// with IRQ_ACK once it has served the device) and marked for the notes thread.
pub fn on_interrupt() {
    for d in devices() {
        if d.holder.load(Ordering::Acquire) != 0
            && let Some(gsi) = d.gsi
        {
            apic::route_pci_irq(gsi, irq::DEVICE_VECTOR, apic::local_id(), true);
            d.irq_pending.store(true, Ordering::Release);
        }
    }
    crate::notes::wake_from_interrupt();
}

/// Whether an interrupt came that the notes thread has not delivered yet.
pub fn interrupts_pending() -> bool {
    devices().iter().any(|d| d.irq_pending.load(Ordering::Acquire))
}

/// On the notes thread: the interrupts that came, as IRQ_BIT notifications to the holders.
pub fn deliver_interrupts() {
    for d in devices() {
        if d.irq_pending.swap(false, Ordering::AcqRel) {
            let holder = d.holder.load(Ordering::Acquire);
            if holder != 0 {
                hayabusa_tasks::notify::post_from_system::<crate::wasm::platform::Kernel>(holder, hayabusa_tasks::notify::IRQ_BIT);
            }
        }
    }
}

/// Whether a device called `name` was found at boot.
pub fn present(name: &str) -> bool {
    devices().iter().any(|d| d.name == name)
}

/// Task `id` ended: the devices it held stop (no DMA, no decoding, line masked) and are free.
pub fn task_ended(id: TaskId) {
    for d in devices() {
        if d.holder.load(Ordering::Acquire) == id {
            requests::quiesce(d);
            *d.state.lock() = GrantState::default();
            d.holder.store(0, Ordering::Release);
        }
    }
}

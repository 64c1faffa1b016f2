//! PCI configuration space for virtio-drivers' PCI transport, through the kernel's PCI_CONFIG
//! request on the device this task holds (the kernel ignores the location: it knows which one).
use hayabusa_abi::device::Device;
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};

pub struct KernelConfig(pub Device);

impl ConfigurationAccess for KernelConfig {
    fn read_word(&self, _: DeviceFunction, register_offset: u8) -> u32 {
        // A refused read looks like an absent register, as on real hardware.
        self.0.config_read(register_offset).unwrap_or(u32::MAX)
    }

    fn write_word(&mut self, _: DeviceFunction, register_offset: u8, data: u32) {
        let _ = self.0.config_write(register_offset, data);
    }

    #[allow(unsafe_code)]
    unsafe fn unsafe_clone(&self) -> Self {
        KernelConfig(self.0)
    }
}

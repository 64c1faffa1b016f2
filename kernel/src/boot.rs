//! Kernel entry and boot sequence: bring up the console, CPU tables, memory, timers and
//! interrupts, then hand over to the console.
use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::BootInfo;
use log::LevelFilter;

use crate::arch::{apic, context, cpu, gdt, idt, pit, qemu, serial};
use crate::mm::layout;
use crate::{console, kprintln, klog, mm, ramdisk, sched, symbols, time};

/// What the kernel asks of the bootloader: all physical memory mapped at a fixed offset, a
/// large boot stack, and the bootloader's own mappings kept out of the kernel's areas.
pub static BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::FixedAddress(layout::PHYS_MAP_START));
    config.mappings.dynamic_range_start = Some(layout::BOOTLOADER_DYNAMIC_START);
    config.kernel_stack_size = 512 * 1024;
    config
};

/// The kernel's first Rust code after the bootloader.
pub fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    let entry_tsc = cpu::rdtsc();
    time::mark_boot(entry_tsc);
    let serial_error = serial::init().err();
    kprintln!("\nHayabusa {} x86_64 — WebAssembly microkernel", env!("CARGO_PKG_VERSION"));
    klog::init(LevelFilter::Info);
    if let Some(e) = serial_error {
        log::warn!("serial init: {e:?}");
    }
    gdt::init();
    idt::init();
    let tsc_hz = pit::measure_tsc_hz(20);
    time::set_tsc_hz(tsc_hz);

    // The heap grows through `mm`, so nothing may allocate before this.
    let phys_offset = boot_info.physical_memory_offset.into_option().expect("bootloader did not map physical memory");
    mm::init(&boot_info.memory_regions, phys_offset);
    let cpu_info = cpu::identify();
    let simd = cpu::enable_simd(&cpu_info.features);
    context::init(simd.xcr0 != 0);
    log::info!("cpu: {} / {}, TSC {} MHz, XCR0 {:#x}", cpu_info.vendor, cpu_info.brand, tsc_hz / 1_000_000, simd.xcr0);
    match mm::boot_data(phys_offset + boot_info.kernel_addr, boot_info.kernel_len, &boot_info.memory_regions) {
        Some(elf) => symbols::init(elf, boot_info.kernel_image_offset),
        None => log::warn!("kernel ELF not readable: fault reports will have no symbols"),
    }
    log::info!("symbols: {} functions", symbols::count());

    sched::init("console");
    let apic_id = apic::init_local();
    let apic_hz = apic::start_timer(time::TICK_HZ, tsc_hz);
    apic::route_serial_irq(apic_id);
    x86_64::instructions::interrupts::enable();
    log::info!("interrupts: local APIC {apic_id}, timer {} Hz (APIC clock {} MHz), COM1 on IRQ 4", time::TICK_HZ, apic_hz / 1_000_000);

    let ramdisk_bytes = boot_info
        .ramdisk_addr
        .into_option()
        .and_then(|addr| mm::boot_data(addr, boot_info.ramdisk_len, &boot_info.memory_regions));
    ramdisk::init(ramdisk_bytes);
    match ramdisk::get() {
        Some(rd) => {
            log::info!("ramdisk: {} files, {} bytes", rd.len(), boot_info.ramdisk_len);
            for entry in rd.iter() {
                log::info!("  {} ({} bytes)", entry.name, entry.data.len());
            }
        }
        None => log::warn!("ramdisk: none"),
    }
    crate::programs::init();
    crate::device::init();
    crate::notes::start();
    hayabusa_tasks::start_boot_tasks::<crate::wasm::platform::Kernel>();

    let stats = mm::stats();
    kprintln!(
        "memory: {} MiB usable, {} MiB free, heap {} KiB mapped",
        stats.frames.usable * 4 / 1024,
        stats.frames.free * 4 / 1024,
        stats.heap.mapped / 1024
    );
    kprintln!("boot: kernel entry to prompt in {} ms", time::uptime_ms());
    console::shell::run();
    qemu::exit_success();
    cpu::halt_forever()
}

//! The kernel's virtual memory layout (all in the upper half; the lower half is unused).
//!
//! | start                   | size    | what                                              |
//! |-------------------------|---------|---------------------------------------------------|
//! | `0xffff_8000_0000_0000` | ≥ 4 GiB | all physical memory, mapped by the bootloader     |
//! | `0xffff_9000_0000_0000` | 32 TiB  | lazy reservations (Wasm linear memories + guards) |
//! | `0xffff_c000_0000_0000` | ≤ 64 GiB| kernel heap, grown on demand                      |
//! | `0xffff_c100_0000_0000` | 1 GiB   | device MMIO (local APIC, I/O APIC)                |
//! | `0xffff_c200_0000_0000` | 64 GiB  | compiled Wasm code, read + execute                |
//! | `0xffff_f000_0000_0000` | rest    | bootloader's choice: kernel image, boot stack, boot info, ramdisk |

/// Where the bootloader maps physical address 0.
pub const PHYS_MAP_START: u64 = 0xffff_8000_0000_0000;
/// The area handed out by `mm::reserve`.
pub const RESERVE_START: u64 = 0xffff_9000_0000_0000;
pub const RESERVE_END: u64 = RESERVE_START + (32 << 40);
/// The kernel heap grows upward from here.
pub const HEAP_START: u64 = 0xffff_c000_0000_0000;
pub const HEAP_MAX: u64 = 64 << 30;
/// Device registers are mapped here, uncached.
pub const MMIO_START: u64 = 0xffff_c100_0000_0000;
pub const MMIO_END: u64 = MMIO_START + (1 << 30);
/// Compiled code is mapped here, read-only and executable.
pub const CODE_START: u64 = 0xffff_c200_0000_0000;
pub const CODE_END: u64 = CODE_START + (64 << 30);
/// The bootloader places its dynamic mappings (kernel, stack, boot info, ramdisk) above this.
pub const BOOTLOADER_DYNAMIC_START: u64 = 0xffff_f000_0000_0000;

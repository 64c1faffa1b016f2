//! Kernel entry point: the bootloader jumps to `_start`, which the `entry_point!` macro defines.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

#[cfg(target_os = "none")]
bootloader_api::entry_point!(
    hayabusa_kernel::boot::kernel_main,
    config = &hayabusa_kernel::boot::BOOTLOADER_CONFIG
);

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("hayabusa-kernel runs on x86_64-unknown-none only: use `cargo xtask run`");
    std::process::exit(2);
}

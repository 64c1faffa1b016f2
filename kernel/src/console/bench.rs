//! `bench ipc [N]`: the task layer's IPC benchmark (`hayabusa_tasks::console::bench`), naming
//! the hypervisor the kernel runs under.
use alloc::format;

use super::commands::Outcome;
use crate::arch::cpu;
use crate::wasm::platform::Kernel;

pub fn run(args: &[&str]) -> Outcome {
    let hypervisor = cpu::hypervisor().unwrap_or_else(|| "none".into());
    hayabusa_tasks::console::bench::run::<Kernel>(args, &format!("hypervisor {hypervisor}"));
    Outcome::Continue
}

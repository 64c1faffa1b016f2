//! The legacy programmable interval timer, used once at boot as the reference clock to
//! measure the TSC frequency.
use ::x86_64::instructions::port::Port;

use super::cpu::rdtsc;

const PIT_HZ: u64 = 1_193_182;

/// Measures TSC ticks per second by letting PIT channel 2 count down `ms` milliseconds.
pub fn measure_tsc_hz(ms: u64) -> u64 {
    let count = (PIT_HZ * ms / 1000) as u16;
    let mut gate = Port::<u8>::new(0x61);
    let mut command = Port::<u8>::new(0x43);
    let mut channel2 = Port::<u8>::new(0x42);
    // SAFETY: ports 0x42/0x43/0x61 are the PIT and its speaker gate, present on every PC and
    // on QEMU's q35; channel 2 drives only the (disconnected) speaker.
    unsafe {
        let value = gate.read();
        gate.write((value & !0x02) | 0x01); // gate on, speaker off
        command.write(0b1011_0000); // channel 2, lobyte/hibyte, mode 0, binary
        channel2.write(count as u8);
        channel2.write((count >> 8) as u8);
        let start = rdtsc();
        while gate.read() & 0x20 == 0 {
            core::hint::spin_loop();
        }
        let end = rdtsc();
        gate.write(value);
        (end - start) * 1000 / ms
    }
}

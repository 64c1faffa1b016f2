//! Deliberate kernel faults for boot tests (feature `test-hooks`): each one must end in the
//! exception report and a failure exit, never in a hang or a silent reset.
use core::arch::asm;

/// Writes to an unmapped address: #PF with CR2 = 0xdea_dbee_f000 (canonical, never mapped).
pub fn page_fault() {
    let ptr = 0xdea_dbee_f000_u64 as *mut u64;
    // SAFETY: deliberately invalid: the address is canonical but never mapped, so the write
    // faults before it can modify anything. This is the point of the test hook.
    unsafe { ptr.write_volatile(42) };
}

/// Executes `int3`: #BP.
pub fn breakpoint() {
    ::x86_64::instructions::interrupts::int3();
}

/// Divides by zero with `div`: #DE.
pub fn divide_error() {
    // SAFETY: `div` by a zero register raises #DE before writing any register; the outputs are
    // declared clobbered anyway.
    unsafe {
        asm!("xor edx, edx", "mov eax, 1", "xor ecx, ecx", "div ecx", out("eax") _, out("ecx") _, out("edx") _);
    }
}

/// Recurses until the kernel stack runs into its guard page. The page-fault handler then has
/// no stack either, so the CPU raises #DF, which runs on its own IST stack.
pub fn stack_overflow() {
    #[allow(unconditional_recursion)]
    fn recurse(depth: u64) -> u64 {
        let frame = core::hint::black_box([depth; 64]);
        recurse(depth + 1) + frame[3]
    }
    core::hint::black_box(recurse(0));
}

/// Executes `ud2`: #UD.
pub fn invalid_opcode() {
    // SAFETY: `ud2` raises #UD and never completes.
    unsafe { asm!("ud2") };
}

//! Kernel thread context switching: callee-saved registers and RFLAGS on the thread's stack,
//! a stack-pointer swap, and the extended register state (x87/SSE/AVX — compiled Wasm uses XMM
//! registers) saved with XSAVE, or FXSAVE where the CPU lacks XSAVE.
use alloc::alloc::{alloc_zeroed, dealloc, handle_alloc_error};
use core::alloc::Layout;
use core::arch::{asm, naked_asm};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static USE_XSAVE: AtomicBool = AtomicBool::new(false);
static AREA_SIZE: AtomicUsize = AtomicUsize::new(512);

/// Offset of MXCSR in the legacy (FXSAVE) region; its default value masks all SSE exceptions.
const MXCSR_OFFSET: usize = 24;
const MXCSR_DEFAULT: u32 = 0x1f80;

/// Decides between XSAVE and FXSAVE and sizes the save area. Call after `cpu::enable_simd`.
pub fn init(xsave: bool) {
    let size = if xsave {
        // CPUID.(EAX=0DH,ECX=0).EBX: bytes needed for the components enabled in XCR0.
        core::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize
    } else {
        512
    };
    USE_XSAVE.store(xsave, Ordering::Relaxed);
    AREA_SIZE.store(size.max(512), Ordering::Relaxed);
}

/// A 64-byte aligned save area for one thread's extended register state, initialised to the
/// architectural initial state (registers zero, MXCSR default).
pub struct ExtendedState {
    ptr: *mut u8,
    layout: Layout,
}

// SAFETY: the area is plain memory owned by one thread's record; the scheduler only touches it
// with interrupts disabled.
unsafe impl Send for ExtendedState {}

impl ExtendedState {
    pub fn new() -> Self {
        let layout = Layout::from_size_align(AREA_SIZE.load(Ordering::Relaxed), 64).expect("valid layout");
        // SAFETY: the layout has a non-zero size (at least 512 bytes).
        let ptr = unsafe { alloc_zeroed(layout) };
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        // SAFETY: the area is at least 512 bytes, so MXCSR's 4 bytes at offset 24 are inside it
        // and 4-byte aligned. A zero XSAVE header (XSTATE_BV = 0) means "initial state".
        unsafe { ptr.add(MXCSR_OFFSET).cast::<u32>().write(MXCSR_DEFAULT) };
        Self { ptr, layout }
    }

    /// Saves the CPU's extended state here.
    pub fn save(&mut self) {
        if USE_XSAVE.load(Ordering::Relaxed) {
            // SAFETY: the area is 64-byte aligned and as large as CPUID says XSAVE needs for the
            // enabled components; EDX:EAX = all ones requests every enabled component.
            unsafe { asm!("xsave64 [{}]", in(reg) self.ptr, in("eax") u32::MAX, in("edx") u32::MAX, options(nostack)) };
        } else {
            // SAFETY: the area is 512 bytes and 16-byte aligned, as FXSAVE requires.
            unsafe { asm!("fxsave64 [{}]", in(reg) self.ptr, options(nostack)) };
        }
    }

    /// Loads the CPU's extended state from here.
    pub fn restore(&self) {
        if USE_XSAVE.load(Ordering::Relaxed) {
            // SAFETY: the area was either written by XSAVE or is the initial image made in `new`
            // (zero header, default MXCSR), both valid XRSTOR inputs.
            unsafe { asm!("xrstor64 [{}]", in(reg) self.ptr, in("eax") u32::MAX, in("edx") u32::MAX, options(nostack)) };
        } else {
            // SAFETY: the area was written by FXSAVE or is the initial image (valid MXCSR).
            unsafe { asm!("fxrstor64 [{}]", in(reg) self.ptr, options(nostack)) };
        }
    }
}

impl Default for ExtendedState {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ExtendedState {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `alloc_zeroed` with this layout and is freed once.
        unsafe { dealloc(self.ptr, self.layout) };
    }
}

/// Saves callee-saved registers and RFLAGS on the current stack, stores the stack pointer at
/// `*old_rsp`, switches to `new_rsp` and pops the same frame from there.
///
/// # Safety
/// Interrupts must be disabled. `new_rsp` must be a stack pointer saved by this function or
/// built by [`initial_stack`], on a stack that stays mapped while the thread lives, and
/// `old_rsp` must be valid for a write.
#[unsafe(naked)]
pub unsafe extern "sysv64" fn switch_stacks(old_rsp: *mut u64, new_rsp: u64) {
    naked_asm!(
        "push rbp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        "pushfq",
        "mov [rdi], rsp",
        "mov rsp, rsi",
        "popfq",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// First code of every new thread: `switch_stacks` "returns" here with the entry argument in
/// r12 and the entry function in r13.
#[unsafe(naked)]
unsafe extern "sysv64" fn thread_trampoline() {
    naked_asm!("mov rdi, r12", "call r13", "ud2")
}

/// Writes the initial frame `switch_stacks` expects at the top of a fresh stack and returns the
/// stack pointer to switch to. The thread starts in `entry(arg)` with interrupts disabled.
///
/// # Safety
/// `[stack_top - 64, stack_top)` must be mapped, writable and unused; `stack_top` 16-aligned.
pub unsafe fn initial_stack(stack_top: u64, entry: extern "sysv64" fn(usize) -> !, arg: usize) -> u64 {
    // From the final RSP upward: rflags, r15, r14, r13, r12, rbx, rbp, return address. Eight
    // words, so RSP is back at the 16-aligned `stack_top` after `ret`, and the trampoline's
    // `call` gives the entry function the ABI's RSP % 16 == 8.
    let frame: [u64; 8] = [0x2, 0, 0, entry as *const () as u64, arg as u64, 0, 0, thread_trampoline as *const () as u64];
    let rsp = stack_top - (frame.len() as u64) * 8;
    // SAFETY: the caller guarantees the 64 bytes below `stack_top` are ours to write.
    unsafe { core::ptr::copy_nonoverlapping(frame.as_ptr(), rsp as *mut u64, frame.len()) };
    rsp
}

/// Puts `value` in the low half and `!value` in the high half of all sixteen XMM registers,
/// spins until the TSC reaches `until`, then checks every register still holds all 128 bits:
/// the scheduler self-test runs this in several threads at once to prove that preemption
/// preserves each thread's whole vector state (compiled Wasm keeps `v128` values there). (The
/// kernel itself is soft-float, so no compiled kernel code lives in these registers.)
pub fn xmm_survives_until(value: u64, until: u64) -> bool {
    let ok: u64;
    // SAFETY: only general registers named as operands and XMM registers, which kernel code
    // never uses (soft-float target), are modified; no memory is touched. PINSRQ/PEXTRQ are
    // SSE4.1, which the kernel requires of the CPU.
    unsafe {
        asm!(
            "movq xmm0, {v}", "pinsrq xmm0, {h}, 1",
            "movq xmm1, {v}", "pinsrq xmm1, {h}, 1",
            "movq xmm2, {v}", "pinsrq xmm2, {h}, 1",
            "movq xmm3, {v}", "pinsrq xmm3, {h}, 1",
            "movq xmm4, {v}", "pinsrq xmm4, {h}, 1",
            "movq xmm5, {v}", "pinsrq xmm5, {h}, 1",
            "movq xmm6, {v}", "pinsrq xmm6, {h}, 1",
            "movq xmm7, {v}", "pinsrq xmm7, {h}, 1",
            "movq xmm8, {v}", "pinsrq xmm8, {h}, 1",
            "movq xmm9, {v}", "pinsrq xmm9, {h}, 1",
            "movq xmm10, {v}", "pinsrq xmm10, {h}, 1",
            "movq xmm11, {v}", "pinsrq xmm11, {h}, 1",
            "movq xmm12, {v}", "pinsrq xmm12, {h}, 1",
            "movq xmm13, {v}", "pinsrq xmm13, {h}, 1",
            "movq xmm14, {v}", "pinsrq xmm14, {h}, 1",
            "movq xmm15, {v}", "pinsrq xmm15, {h}, 1",
            "2:",
            "pause",
            "rdtsc",
            "shl rdx, 32",
            "or rax, rdx",
            "cmp rax, {until}",
            "jb 2b",
            "movq {t}, xmm0", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm0, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm1", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm1, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm2", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm2, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm3", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm3, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm4", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm4, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm5", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm5, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm6", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm6, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm7", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm7, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm8", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm8, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm9", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm9, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm10", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm10, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm11", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm11, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm12", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm12, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm13", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm13, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm14", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm14, 1", "cmp {t}, {h}", "jne 3f",
            "movq {t}, xmm15", "cmp {t}, {v}", "jne 3f", "pextrq {t}, xmm15, 1", "cmp {t}, {h}", "jne 3f",
            "mov {ok}, 1",
            "jmp 4f",
            "3:",
            "xor {ok:e}, {ok:e}",
            "4:",
            v = in(reg) value,
            h = in(reg) !value,
            until = in(reg) until,
            ok = out(reg) ok,
            t = out(reg) _,
            out("rax") _,
            out("rdx") _,
            options(nostack),
        );
    }
    ok == 1
}

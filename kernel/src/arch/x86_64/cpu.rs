//! CPU identification (CPUID), the features a JIT cares about, and enabling SSE/AVX state.
use alloc::string::String;
use core::arch::x86_64::{__cpuid, __cpuid_count, CpuidResult, _rdtsc};

use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use ::x86_64::registers::xcontrol::{XCr0, XCr0Flags};

/// What CPUID says about this processor, reduced to what the kernel and the JIT use.
#[derive(Clone, Debug, Default)]
pub struct CpuInfo {
    pub vendor: String,
    pub brand: String,
    pub family: u32,
    pub model: u32,
    pub stepping: u32,
    pub features: Features,
}

/// Feature flags. Names follow the usual lowercase spelling (`/proc/cpuinfo` style).
#[derive(Clone, Copy, Debug, Default)]
pub struct Features {
    pub sse3: bool,
    pub ssse3: bool,
    pub sse41: bool,
    pub sse42: bool,
    pub popcnt: bool,
    pub lzcnt: bool,
    pub bmi1: bool,
    pub bmi2: bool,
    pub fma: bool,
    pub avx: bool,
    pub avx2: bool,
    pub avx512f: bool,
    pub avx512vl: bool,
    pub avx512dq: bool,
    pub avx512bw: bool,
    pub xsave: bool,
    pub x2apic: bool,
    pub invariant_tsc: bool,
}

impl Features {
    /// `(name, present)` pairs in display order.
    pub fn list(&self) -> [(&'static str, bool); 18] {
        [
            ("sse3", self.sse3),
            ("ssse3", self.ssse3),
            ("sse4.1", self.sse41),
            ("sse4.2", self.sse42),
            ("popcnt", self.popcnt),
            ("lzcnt", self.lzcnt),
            ("bmi1", self.bmi1),
            ("bmi2", self.bmi2),
            ("fma", self.fma),
            ("avx", self.avx),
            ("avx2", self.avx2),
            ("avx512f", self.avx512f),
            ("avx512vl", self.avx512vl),
            ("avx512dq", self.avx512dq),
            ("avx512bw", self.avx512bw),
            ("xsave", self.xsave),
            ("x2apic", self.x2apic),
            ("invariant-tsc", self.invariant_tsc),
        ]
    }
}

fn cpuid(leaf: u32, sub: u32) -> CpuidResult {
    // CPUID exists on every x86_64 processor and has no side effects.
    if sub == 0 { __cpuid(leaf) } else { __cpuid_count(leaf, sub) }
}

fn bit(value: u32, n: u32) -> bool {
    value & (1 << n) != 0
}

fn regs_to_string(regs: &[u32]) -> String {
    let bytes: alloc::vec::Vec<u8> = regs.iter().flat_map(|r| r.to_le_bytes()).collect();
    String::from_utf8_lossy(&bytes).trim_matches(char::from(0)).trim().into()
}

/// The hypervisor's CPUID signature (leaf 0x4000_0000: "TCGTCGTCGTCG" under QEMU's TCG,
/// "KVMKVMKVM" under KVM), if the CPU says it runs under one.
pub fn hypervisor() -> Option<String> {
    if !bit(cpuid(1, 0).ecx, 31) {
        return None;
    }
    let leaf = cpuid(0x4000_0000, 0);
    Some(regs_to_string(&[leaf.ebx, leaf.ecx, leaf.edx]))
}

/// Reads CPUID.
pub fn identify() -> CpuInfo {
    let leaf0 = cpuid(0, 0);
    let max_leaf = leaf0.eax;
    let vendor = regs_to_string(&[leaf0.ebx, leaf0.edx, leaf0.ecx]);
    let leaf1 = cpuid(1, 0);
    let base_family = (leaf1.eax >> 8) & 0xf;
    let family = if base_family == 0xf { base_family + ((leaf1.eax >> 20) & 0xff) } else { base_family };
    let mut model = (leaf1.eax >> 4) & 0xf;
    if base_family == 0x6 || base_family == 0xf {
        model |= ((leaf1.eax >> 16) & 0xf) << 4;
    }
    let leaf7 = if max_leaf >= 7 { cpuid(7, 0) } else { CpuidResult { eax: 0, ebx: 0, ecx: 0, edx: 0 } };
    let max_ext = cpuid(0x8000_0000, 0).eax;
    let ext1 = if max_ext >= 0x8000_0001 { cpuid(0x8000_0001, 0).ecx } else { 0 };
    let ext7 = if max_ext >= 0x8000_0007 { cpuid(0x8000_0007, 0).edx } else { 0 };
    let brand = if max_ext >= 0x8000_0004 {
        let mut regs = [0u32; 12];
        for (i, leaf) in (0x8000_0002..=0x8000_0004).enumerate() {
            let r = cpuid(leaf, 0);
            regs[i * 4..i * 4 + 4].copy_from_slice(&[r.eax, r.ebx, r.ecx, r.edx]);
        }
        regs_to_string(&regs)
    } else {
        String::from("(no brand string)")
    };
    let features = Features {
        sse3: bit(leaf1.ecx, 0),
        ssse3: bit(leaf1.ecx, 9),
        fma: bit(leaf1.ecx, 12),
        sse41: bit(leaf1.ecx, 19),
        sse42: bit(leaf1.ecx, 20),
        x2apic: bit(leaf1.ecx, 21),
        popcnt: bit(leaf1.ecx, 23),
        xsave: bit(leaf1.ecx, 26),
        avx: bit(leaf1.ecx, 28),
        bmi1: bit(leaf7.ebx, 3),
        avx2: bit(leaf7.ebx, 5),
        bmi2: bit(leaf7.ebx, 8),
        avx512f: bit(leaf7.ebx, 16),
        avx512dq: bit(leaf7.ebx, 17),
        avx512bw: bit(leaf7.ebx, 30),
        avx512vl: bit(leaf7.ebx, 31),
        lzcnt: bit(ext1, 5),
        invariant_tsc: bit(ext7, 8),
    };
    CpuInfo { vendor, brand, family, model, stepping: leaf1.eax & 0xf, features }
}

/// Which extended-state components were switched on by [`enable_simd`].
#[derive(Clone, Copy, Debug)]
pub struct SimdState {
    pub xcr0: u64,
}

/// Turns on SSE (CR0/CR4) and, where XSAVE is present, the AVX and AVX-512 state components
/// in XCR0 that the processor supports. Compiled Wasm uses XMM registers, so this must run
/// before any compiled code.
pub fn enable_simd(features: &Features) -> SimdState {
    // SAFETY: clearing EM and setting MP only changes how x87/SSE instructions trap; the kernel's
    // own Rust code is soft-float and does not depend on either bit.
    unsafe {
        Cr0::update(|f| {
            f.remove(Cr0Flags::EMULATE_COPROCESSOR);
            f.insert(Cr0Flags::MONITOR_COPROCESSOR);
        });
    }
    // SAFETY: OSFXSR/OSXMMEXCPT declare that the OS saves SSE state and handles #XM; both are
    // architecturally valid on every x86_64 CPU (SSE2 is part of the baseline).
    unsafe {
        Cr4::update(|f| f.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE));
    }
    if !features.xsave {
        return SimdState { xcr0: 0 };
    }
    // SAFETY: CPUID reported XSAVE support, so CR4.OSXSAVE may be set.
    unsafe {
        Cr4::update(|f| f.insert(Cr4Flags::OSXSAVE));
    }
    let supported = u64::from(cpuid(0xd, 0).eax) | (u64::from(cpuid(0xd, 0).edx) << 32);
    let mut wanted = XCr0Flags::X87 | XCr0Flags::SSE;
    if features.avx {
        wanted |= XCr0Flags::AVX;
    }
    if features.avx512f {
        wanted |= XCr0Flags::OPMASK | XCr0Flags::ZMM_HI256 | XCr0Flags::HI16_ZMM;
    }
    let flags = XCr0Flags::from_bits_truncate(wanted.bits() & supported);
    // SAFETY: every bit written is one CPUID leaf 0xD reports as supported, X87 is always set,
    // and the AVX-512 bits are set together, as the architecture requires.
    unsafe {
        XCr0::write(flags);
    }
    SimdState { xcr0: flags.bits() }
}

/// Turns on no-execute pages (EFER.NXE) and write protection in ring 0 (CR0.WP), so that the
/// page flags the kernel sets are enforced for its own accesses too.
pub fn enable_page_protections() {
    use ::x86_64::registers::model_specific::{Efer, EferFlags};
    // SAFETY: NXE only makes the NO_EXECUTE page bit meaningful (every x86_64 CPU the
    // bootloader runs on supports it, and its own mappings already use it); WP only makes
    // read-only pages read-only for ring 0 as well.
    unsafe {
        Efer::update(|f| f.insert(EferFlags::NO_EXECUTE_ENABLE));
        Cr0::update(|f| f.insert(Cr0Flags::WRITE_PROTECT));
    }
}

/// Reads the time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads a counter; CR4.TSD is clear in ring 0 anyway.
    unsafe { _rdtsc() }
}

/// Waits for the next interrupt with interrupts enabled.
#[inline]
pub fn wait_for_interrupt() {
    ::x86_64::instructions::interrupts::enable_and_hlt();
}

/// Stops this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        ::x86_64::instructions::interrupts::disable();
        ::x86_64::instructions::hlt();
    }
}

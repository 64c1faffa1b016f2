//! The Cranelift x86-64 target: shared flags, optimisation level, and ISA flags from CPU features.
//!
//! This crate never executes CPUID itself (it has no unsafe and no `cfg(target_arch)`): the
//! embedder reads the CPU and passes a [`CpuFeatures`].

use crate::error::{Error, ErrorKind, Result};
use alloc::sync::Arc;
use cranelift_codegen::isa::{self, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};

/// Cranelift optimisation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OptLevel {
    None,
    #[default]
    Speed,
}

impl OptLevel {
    pub fn parse(s: &str) -> Option<OptLevel> {
        match s {
            "none" => Some(OptLevel::None),
            "speed" => Some(OptLevel::Speed),
            _ => None,
        }
    }
}

/// x86-64 instruction-set extensions the generated code may use (from CPUID leaf 1 / 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    pub sse3: bool,
    pub ssse3: bool,
    pub sse41: bool,
    pub sse42: bool,
    pub popcnt: bool,
    pub lzcnt: bool,
    pub bmi1: bool,
    pub bmi2: bool,
    pub avx: bool,
    pub avx2: bool,
    pub fma: bool,
}

impl CpuFeatures {
    /// x86-64-v2 (SSE4.2, POPCNT): present on every CPU this project targets, QEMU's default
    /// `qemu64` model included when run with `-cpu max` or a newer model.
    pub fn x86_64_v2() -> Self {
        CpuFeatures { sse3: true, ssse3: true, sse41: true, sse42: true, popcnt: true, ..Default::default() }
    }
}

fn codegen_err(e: impl core::fmt::Display) -> Error {
    Error::new(ErrorKind::Codegen, 0u64, alloc::format!("cranelift setup: {e}"))
}

/// Builds the target ISA. SSE4.1 is required: without it float rounding would need libcalls.
pub fn build(cpu: &CpuFeatures, opt: OptLevel) -> Result<Arc<dyn isa::TargetIsa>> {
    if !cpu.sse41 {
        return Err(Error::new(ErrorKind::Unsupported, 0u64, "unsupported CPU: SSE4.1 is required"));
    }
    let mut flags = settings::builder();
    let opt_name = match opt {
        OptLevel::None => "none",
        OptLevel::Speed => "speed",
    };
    let shared = [
        ("opt_level", opt_name),
        ("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }),
        ("enable_probestack", "false"),
        ("enable_multi_ret_implicit_sret", "true"),
        ("preserve_frame_pointers", "true"),
        ("unwind_info", "false"),
        ("is_pic", "false"),
    ];
    for (k, v) in shared {
        flags.set(k, v).map_err(codegen_err)?;
    }
    let mut builder = isa::lookup_by_name("x86_64-unknown-unknown").map_err(codegen_err)?;
    let ext = [
        ("has_sse3", cpu.sse3),
        ("has_ssse3", cpu.ssse3),
        ("has_sse41", cpu.sse41),
        ("has_sse42", cpu.sse42),
        ("has_popcnt", cpu.popcnt),
        ("has_lzcnt", cpu.lzcnt),
        ("has_bmi1", cpu.bmi1),
        ("has_bmi2", cpu.bmi2),
        ("has_avx", cpu.avx),
        ("has_avx2", cpu.avx2),
        ("has_fma", cpu.fma),
    ];
    for (k, on) in ext {
        builder.enable_or_disable(k, on)?;
    }
    let owned: OwnedTargetIsa = builder.finish(settings::Flags::new(flags)).map_err(codegen_err)?;
    Ok(owned)
}

trait EnableOrDisable {
    fn enable_or_disable(&mut self, name: &str, on: bool) -> Result<()>;
}

impl<T: Configurable> EnableOrDisable for T {
    fn enable_or_disable(&mut self, name: &str, on: bool) -> Result<()> {
        self.set(name, if on { "true" } else { "false" }).map_err(codegen_err)
    }
}

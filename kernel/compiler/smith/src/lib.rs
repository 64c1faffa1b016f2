//! The one wasm-smith configuration for what the compiler supports, shared by the fuzz targets
//! (`kernel/compiler/fuzz`), the compile test (`kernel/compiler/tests/smith.rs`) and the
//! differential runner (`kernel/compiler/differential`).
//!
//! Supported, and always on: Wasm 2.0 (multi-value, reference types, bulk memory, sign
//! extension, saturating float-to-int, mutable globals, several tables, fixed-width SIMD) and
//! extended constant expressions. Off: relaxed SIMD, threads, tail calls, multi-memory,
//! memory64, exceptions, GC, and the newer proposals (wide arithmetic, custom page sizes,
//! compact imports, ...). Keep this in step with `hayabusa_compiler::validate::supported_features`.

#![forbid(unsafe_code)]

pub use arbitrary;
pub use wasm_smith;

use arbitrary::{Arbitrary, Unstructured};
use wasm_smith::{Config, Module};

/// Restricts `c` (usually from `Config::arbitrary`) to the supported feature set, turning the
/// supported proposals on.
pub fn supported(c: &mut Config) {
    c.multi_value_enabled = true;
    c.reference_types_enabled = true;
    c.bulk_memory_enabled = true;
    c.sign_extension_ops_enabled = true;
    c.saturating_float_to_int_enabled = true;
    c.extended_const_enabled = true;
    c.simd_enabled = true;
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.tail_call_enabled = false;
    c.memory64_enabled = false;
    c.gc_enabled = false;
    c.exceptions_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.custom_descriptors_enabled = false;
    c.multibyte_array_access_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.compact_imports_enabled = false;
    c.max_memories = c.max_memories.min(1);
}

/// [`supported`], plus what running a module in two engines and comparing needs: no imports,
/// everything exported, at least three functions, NaNs canonicalised (Wasm lets engines pick NaN
/// payloads), and every memory and table with a small maximum (so `memory.grow` and
/// `table.grow` fail at the module's own limit, not at an engine's).
pub fn differential(c: &mut Config) {
    supported(c);
    c.max_imports = 0;
    c.min_imports = 0;
    c.export_everything = true;
    c.min_funcs = c.min_funcs.max(3);
    c.max_funcs = c.max_funcs.clamp(3, 50);
    c.max_instructions = c.max_instructions.min(200);
    c.canonicalize_nans = true;
    c.memory_max_size_required = true;
    c.max_memory32_bytes = c.max_memory32_bytes.min(16 << 16);
    c.table_max_size_required = true;
    c.max_table_elements = c.max_table_elements.min(10_000);
    c.max_tables = c.max_tables.min(4);
}

/// `len` pseudo-random bytes for `seed` (xorshift64): the input a seeded module is built from.
pub fn seed_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An arbitrary module in the supported feature set, built from `u`.
pub fn supported_module(u: &mut Unstructured<'_>) -> arbitrary::Result<Module> {
    let mut c = Config::arbitrary(u)?;
    supported(&mut c);
    Module::new(c, u)
}

/// The module the differential runner uses for `seed`: [`differential`]'s configuration, and
/// every loop and call bounded by `fuel` (wasm-smith's `ensure_termination`: a global counts
/// down at each function entry and loop iteration and traps with `unreachable` at zero).
/// `None` when these bytes make no module.
pub fn differential_module(seed: u64, fuel: u32) -> Option<Vec<u8>> {
    let bytes = seed_bytes(seed, 16384);
    let mut u = Unstructured::new(&bytes);
    let mut c = Config::arbitrary(&mut u).ok()?;
    differential(&mut c);
    let mut m = Module::new(c, &mut u).ok()?;
    m.ensure_termination(fuel).ok()?;
    Some(m.to_bytes())
}

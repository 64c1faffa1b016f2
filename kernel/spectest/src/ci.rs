//! The spec files CI runs inside the kernel (`cargo xtask test` packs them into the test image;
//! `tests/tests/spectest.rs` runs them and compares with the host runner): chosen so that every
//! trap kind, memory growth, tables, calls and stack exhaustion meet the kernel's own paths
//! (lazy linear memory and its guard, fault handlers and landing pads, the stack limit).
pub const CI_FILES: &[&str] = &[
    // Out-of-bounds memory, at every offset and alignment, and past the guard.
    "address.wast",
    "memory_trap.wast",
    "simd_address.wast",
    // Memory growth on the lazy reservation; bulk fills past the end.
    "memory_grow.wast",
    "memory_fill.wast",
    // Integer divide by zero, integer overflow, invalid conversion, unreachable.
    "i32.wast",
    "i64.wast",
    "conversions.wast",
    "traps.wast",
    "unreachable.wast",
    // Calls; `call_indirect` type mismatch, undefined and uninitialized element; null references.
    "call.wast",
    "call_indirect.wast",
    "call_ref.wast",
    "ref_as_non_null.wast",
    "return_call.wast",
    "return_call_indirect.wast",
    // Stack exhaustion, also with frames larger than the guard page.
    "skip-stack-guard-page.wast",
    // Tables: growth, fills and copies out of bounds.
    "table_grow.wast",
    "table_fill.wast",
    "table_copy.wast",
    // Modules linked to each other (shared memories, tables, globals; traps at instantiation;
    // unlinkable imports), and a file with reduced modules and skips, counted as on the host.
    "linking.wast",
    "imports.wast",
];

//! Deliberate traps, one per Wasm trap kind, for testing that a fault ends only its task.
//!
//! Each function runs the exact instruction that traps (inline Wasm where Rust would check first)
//! and returns only if the trap did not happen, so a caller can report that.

use core::arch::asm;
use core::hint::black_box;

/// `unreachable`.
pub fn unreachable() {
    core::arch::wasm32::unreachable()
}

/// `i32.div_s` by zero: "integer divide by zero".
pub fn divide_by_zero() {
    // SAFETY: pure stack arithmetic; the division traps.
    unsafe { asm!("i32.const 1", "i32.const 0", "i32.div_s", "drop", options(nomem, nostack)) }
}

/// `i32.div_s` of `i32::MIN` by -1: "integer overflow".
pub fn integer_overflow() {
    // SAFETY: pure stack arithmetic; the division traps.
    unsafe { asm!("i32.const -2147483648", "i32.const -1", "i32.div_s", "drop", options(nomem, nostack)) }
}

/// `i32.trunc_f32_s` of NaN: "invalid conversion to integer".
pub fn invalid_conversion() {
    // SAFETY: pure stack arithmetic; the conversion traps.
    unsafe { asm!("f32.const nan", "i32.trunc_f32_s", "drop", options(nomem, nostack)) }
}

/// `i32.load` at address 0xffff_fffc, past any 32-bit memory smaller than 4 GiB:
/// "out of bounds memory access".
pub fn memory_out_of_bounds() {
    // SAFETY: the load traps (the memory is far smaller than 4 GiB), so nothing is read.
    unsafe { asm!("i32.const -4", "i32.load 0", "drop", options(readonly, nostack)) }
}

/// `table.get` far past the end of the function table: "out of bounds table access".
pub fn table_out_of_bounds() {
    // SAFETY: the table access traps; nothing is read.
    unsafe {
        asm!(
            ".tabletype __indirect_function_table, funcref",
            "i32.const 1000000",
            "table.get __indirect_function_table",
            "drop",
            options(nomem, nostack)
        )
    }
}

/// `call_indirect` with an index past the table's end: "undefined element".
pub fn undefined_element() {
    // SAFETY: the call traps on the index check; nothing is called.
    unsafe { asm!("i32.const -1", "call_indirect () -> ()", options(nostack)) }
}

/// `call_indirect` through slot 0, which the linker leaves null: "uninitialized element".
pub fn null_call() {
    // SAFETY: the call traps on the null entry; nothing is called.
    unsafe { asm!("i32.const 0", "call_indirect () -> ()", options(nostack)) }
}

#[inline(never)]
fn takes_an_i32(x: i32) -> i32 {
    x.wrapping_mul(3)
}

/// `call_indirect` with type `() -> ()` of a function of type `(i32) -> i32`:
/// "indirect call type mismatch".
pub fn type_mismatch() {
    let f: fn(i32) -> i32 = black_box(takes_an_i32);
    let index = f as usize as i32;
    // SAFETY: the signature check traps before the call; nothing is called.
    unsafe { asm!("local.get {}", "call_indirect () -> ()", in(local) index, options(nostack)) }
}

/// Recursion without end, using only the Wasm stack (no shadow-stack frames): "call stack
/// exhausted". Its depth is returned only if it ends, which takes 2^32 calls.
#[inline(never)]
fn recurse(depth: u32) -> u32 {
    if depth == u32::MAX {
        return 0;
    }
    // Not a tail call, and rotation is not an accumulator LLVM could turn into a loop.
    recurse(depth + 1).rotate_left(depth) ^ depth
}

/// Exhausts the call stack.
pub fn stack_overflow() {
    black_box(recurse(black_box(0)));
}

/// Every trap by the name `examples/traps` takes as its argument, in the compiler's order.
pub const ALL: [(&str, fn()); 10] = [
    ("unreachable", unreachable),
    ("div-zero", divide_by_zero),
    ("overflow", integer_overflow),
    ("conversion", invalid_conversion),
    ("memory", memory_out_of_bounds),
    ("table", table_out_of_bounds),
    ("undefined-element", undefined_element),
    ("null-call", null_call),
    ("type-mismatch", type_mismatch),
    ("stack", stack_overflow),
];

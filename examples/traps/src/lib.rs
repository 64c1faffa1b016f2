//! traps: one export per Wasm trap kind (`trap_<kind>`), and a `_start` that triggers the kind
//! named by the task's argument (`run traps div-zero`). Reaching the end means it did not trap.

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::console::Line;
use hayabusa_abi::{Message, kernel, trap};

hayabusa_abi::main!(main);

hayabusa_abi::export!(
    trap_unreachable = trap::unreachable,
    trap_div_zero = trap::divide_by_zero,
    trap_overflow = trap::integer_overflow,
    trap_conversion = trap::invalid_conversion,
    trap_memory = trap::memory_out_of_bounds,
    trap_table = trap::table_out_of_bounds,
    trap_undefined_element = trap::undefined_element,
    trap_null_call = trap::null_call,
    trap_type_mismatch = trap::type_mismatch,
    trap_stack = trap::stack_overflow,
);

fn main() {
    let mut msg = Message::new(0);
    let args = match kernel::args(&mut msg) {
        Ok(args) => args.trim_ascii(),
        Err(e) => {
            Line::new().str("traps: cannot read arguments: ").error(e).print();
            kernel::exit(e.code());
        }
    };
    let Some((name, trigger)) = trap::ALL.iter().find(|(name, _)| name.as_bytes() == args) else {
        let mut usage = Line::new();
        usage.str("traps: usage: run traps KIND; KIND is one of");
        for (name, _) in trap::ALL {
            usage.str(" ").str(name);
        }
        usage.print();
        kernel::exit(2);
    };
    Line::new().str("traps: triggering ").str(name).print();
    trigger();
    Line::new().str("traps: FAILED: ").str(name).str(" did not trap").print();
    kernel::exit(1);
}

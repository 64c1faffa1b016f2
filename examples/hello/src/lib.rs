//! hello: prints a greeting through the console service, and exits with the error if it cannot.

#![no_std]
#![forbid(unsafe_code)]

use hayabusa_abi::{console, kernel};

hayabusa_abi::main!(main);

fn main() {
    if let Err(e) = console::write(b"hello from wasm\n") {
        kernel::exit(e.code());
    }
}

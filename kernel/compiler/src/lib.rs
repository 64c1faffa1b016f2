//! WebAssembly validation and compilation to x86-64 (work in progress).
#![no_std]

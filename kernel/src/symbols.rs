//! Symbolization of kernel addresses for fault reports, from the kernel's own ELF symbol table
//! (the bootloader leaves the ELF file in memory). Scans on demand and never allocates, so it is
//! safe on fault paths.
use core::fmt;

use object::read::elf::ElfFile64;
use object::{Object, ObjectSymbol, SymbolKind};
use spin::Once;

struct KernelElf {
    bytes: &'static [u8],
    load_offset: u64,
}

static KERNEL: Once<KernelElf> = Once::new();

/// Registers the kernel's ELF image (`bytes`) and the offset it was loaded at.
pub fn init(bytes: &'static [u8], load_offset: u64) {
    KERNEL.call_once(|| KernelElf { bytes, load_offset });
}

/// A resolved address: the function containing it and the offset into it.
pub struct Symbol {
    name: &'static str,
    offset: u64,
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}+{:#x}", rustc_demangle::demangle(self.name), self.offset)
    }
}

/// The function symbol containing the run-time address `addr`, if the kernel has symbols.
pub fn lookup(addr: u64) -> Option<Symbol> {
    let kernel = KERNEL.get()?;
    let elf = ElfFile64::<object::Endianness>::parse(kernel.bytes).ok()?;
    let target = addr.checked_sub(kernel.load_offset)?;
    elf.symbols()
        .filter(|s| s.kind() == SymbolKind::Text)
        .find(|s| s.address() <= target && target < s.address() + s.size().max(1))
        .and_then(|s| Some(Symbol { name: s.name().ok()?, offset: target - s.address() }))
}

/// Number of function symbols available (0 when the kernel was stripped).
pub fn count() -> usize {
    KERNEL
        .get()
        .and_then(|k| ElfFile64::<object::Endianness>::parse(k.bytes).ok())
        .map(|elf| elf.symbols().filter(|s| s.kind() == SymbolKind::Text).count())
        .unwrap_or(0)
}

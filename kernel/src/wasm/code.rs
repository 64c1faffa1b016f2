//! Loaded code images: each is copied into the read + execute code area, and its trap table is
//! registered so the exception handlers can tell a Wasm trap from a kernel bug.
use alloc::string::String;

use hayabusa_compiler::{Image, TrapSite};
use hayabusa_runtime::code_map::CodeMap;

use crate::arch::irqlock::IrqMutex;
use crate::mm::{self, CodeMapping, paging::MapError};

static REGISTRY: IrqMutex<CodeMap> = IrqMutex::new(CodeMap::new());

/// A linked image mapped executable, registered for trap lookup until dropped.
pub struct CodeMemory {
    mapping: CodeMapping,
}

impl CodeMemory {
    /// Copies `image.code` into the code area and registers its traps and function names.
    pub fn load(image: &Image) -> Result<Self, MapError> {
        let mapping = mm::map_code(&image.code)?;
        REGISTRY.lock().insert(mapping.start() as usize, mapping.len() as usize, image);
        Ok(Self { mapping })
    }

    /// Address of code offset 0.
    pub fn base(&self) -> u64 {
        self.mapping.start()
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        let start = self.mapping.start();
        REGISTRY.lock().remove(start as usize);
    }
}

/// The trap site at `pc` and the start of its image, if `pc` is a recorded trapping instruction
/// of loaded code. Used from exception handlers: it never waits for the lock, never allocates.
pub fn lookup_trap(pc: u64) -> Option<(TrapSite, u64)> {
    REGISTRY.try_lock()?.trap_at(pc as usize).map(|(site, start)| (site, start as u64))
}

/// Whether `pc` lies in loaded code. For interrupt handlers: never waits, never allocates
/// (false if the registry is being changed right now).
pub fn contains(pc: u64) -> bool {
    REGISTRY.try_lock().is_some_and(|map| map.contains(pc as usize))
}

/// The name of function `func` in the image loaded at `image_start`.
pub fn func_name(image_start: u64, func: u32) -> Option<String> {
    REGISTRY.lock().func_name(image_start as usize, func)
}

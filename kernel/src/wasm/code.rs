//! Loaded code images: each is copied into the read + execute code area, and its trap table is
//! registered so the exception handlers can tell a Wasm trap from a kernel bug.
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use hayabusa_compiler::{Image, TrapSite};

use crate::arch::irqlock::IrqMutex;
use crate::mm::{self, CodeMapping, paging::MapError};

struct Region {
    start: u64,
    end: u64,
    traps: Arc<Vec<TrapSite>>,
    names: Arc<BTreeMap<u32, String>>,
}

static REGISTRY: IrqMutex<Vec<Region>> = IrqMutex::new(Vec::new());

/// A linked image mapped executable, registered for trap lookup until dropped.
pub struct CodeMemory {
    mapping: CodeMapping,
}

impl CodeMemory {
    /// Copies `image.code` into the code area and registers its traps and function names.
    pub fn load(image: &Image) -> Result<Self, MapError> {
        let mapping = mm::map_code(&image.code)?;
        let names = image.funcs.iter().map(|f| (f.index, f.name.clone())).collect();
        let region = Region {
            start: mapping.start(),
            end: mapping.start() + mapping.len(),
            traps: Arc::new(image.traps.clone()),
            names: Arc::new(names),
        };
        REGISTRY.lock().push(region);
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
        REGISTRY.lock().retain(|r| r.start != start);
    }
}

/// The trap site at `pc`, if `pc` is a recorded trapping instruction of loaded code. Used from
/// exception handlers: it never waits for the registry lock.
pub fn lookup_trap(pc: u64) -> Option<(TrapSite, Arc<BTreeMap<u32, String>>)> {
    let regions = REGISTRY.try_lock()?;
    let r = regions.iter().find(|r| r.start <= pc && pc < r.end)?;
    let off = u32::try_from(pc - r.start).ok()?;
    let i = r.traps.binary_search_by_key(&off, |t| t.code_offset).ok()?;
    Some((r.traps[i], r.names.clone()))
}

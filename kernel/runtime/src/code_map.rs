//! Where loaded images live, with their trap sites and function names: the lookup every
//! platform's fault handler makes to tell a Wasm trap from a crash. Each platform keeps one map
//! behind its own lock; `trap_at` neither allocates nor frees, so fault handlers may call it.
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use hayabusa_compiler::{Image, TrapSite};

struct Loaded {
    start: usize,
    end: usize,
    traps: Vec<TrapSite>,
    names: BTreeMap<u32, String>,
}

/// The loaded images.
#[derive(Default)]
pub struct CodeMap {
    images: Vec<Loaded>,
}

impl CodeMap {
    pub const fn new() -> Self {
        Self { images: Vec::new() }
    }

    /// Records that `image` was loaded at `[start, start + len)`.
    pub fn insert(&mut self, start: usize, len: usize, image: &Image) {
        let names = image.funcs.iter().map(|f| (f.index, f.name.clone())).collect();
        self.images.push(Loaded { start, end: start + len, traps: image.traps.clone(), names });
    }

    /// Forgets the image loaded at `start`.
    pub fn remove(&mut self, start: usize) {
        self.images.retain(|l| l.start != start);
    }

    /// The trap site at native address `pc`, if `pc` is a recorded trapping instruction of a
    /// loaded image, and where that image starts.
    pub fn trap_at(&self, pc: usize) -> Option<(TrapSite, usize)> {
        let l = self.images.iter().find(|l| l.start <= pc && pc < l.end)?;
        let off = u32::try_from(pc - l.start).ok()?;
        let i = l.traps.binary_search_by_key(&off, |t| t.code_offset).ok()?;
        Some((l.traps[i], l.start))
    }

    /// Whether `pc` lies in a loaded image.
    pub fn contains(&self, pc: usize) -> bool {
        self.images.iter().any(|l| l.start <= pc && pc < l.end)
    }

    /// The name of function `func` of the image loaded at `start`.
    pub fn func_name(&self, start: usize, func: u32) -> Option<String> {
        self.images.iter().find(|l| l.start == start)?.names.get(&func).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hayabusa_compiler::{FuncInfo, TrapKind};

    #[test]
    fn finds_exact_trap_sites_only() {
        let mut image = Image {
            traps: alloc::vec![
                TrapSite { code_offset: 4, kind: TrapKind::Unreachable, wasm_offset: 40, func: 0 },
                TrapSite { code_offset: 9, kind: TrapKind::MemoryOutOfBounds, wasm_offset: 90, func: 1 },
            ],
            ..Image::default()
        };
        image.funcs.push(FuncInfo { index: 1, name: String::from("load"), code_offset: 8, code_size: 8, wasm_start: 0, wasm_end: 0, compile_nanos: 0 });
        let mut map = CodeMap::new();
        map.insert(0x1000, 16, &image);
        assert_eq!(map.trap_at(0x1009).map(|(s, at)| (s.wasm_offset, at)), Some((90, 0x1000)));
        assert_eq!(map.trap_at(0x1008), None, "not a trap site");
        assert_eq!(map.trap_at(0x2000), None, "outside every image");
        assert_eq!(map.func_name(0x1000, 1).as_deref(), Some("load"));
        map.remove(0x1000);
        assert_eq!(map.trap_at(0x1009), None);
    }
}

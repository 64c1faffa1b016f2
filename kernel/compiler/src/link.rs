//! Linking compiled functions into one position-independent code image with a trap table.
//!
//! All relocations are resolved here (calls between functions are PC-relative), so the image can
//! be copied to any executable address and run without further fix-ups.

use crate::env::traps::TrapKind;
use crate::error::{Error, ErrorKind, Result};
use alloc::string::String;
use alloc::vec::Vec;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{ExternalName, Function};
use cranelift_codegen::{CompiledCode, MachReloc, RelocTarget};

/// Code alignment of every function in the image.
pub const FUNC_ALIGN: usize = 16;

/// One compiled Wasm function in the image.
#[derive(Clone, Debug)]
pub struct FuncInfo {
    /// Index in the module's function space.
    pub index: u32,
    pub name: String,
    pub code_offset: u32,
    pub code_size: u32,
    /// Byte range of the body in the Wasm binary.
    pub wasm_start: u32,
    pub wasm_end: u32,
    /// Translation + compilation time in nanoseconds (0 without a clock).
    pub compile_nanos: u64,
}

/// Where an instruction can trap: the kind, and the Wasm offset and function it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapSite {
    pub code_offset: u32,
    pub kind: TrapKind,
    pub wasm_offset: u32,
    /// Function index, or `u32::MAX` for trampolines.
    pub func: u32,
}

/// A linked, position-independent code image.
#[derive(Clone, Debug, Default)]
pub struct Image {
    pub code: Vec<u8>,
    /// Local functions in index order.
    pub funcs: Vec<FuncInfo>,
    /// Code offset of the entry trampoline of each module type.
    pub entry_trampolines: Vec<u32>,
    /// Code offset of the host trampoline of each module type.
    pub host_trampolines: Vec<u32>,
    /// Sorted by `code_offset`.
    pub traps: Vec<TrapSite>,
    /// `(code_offset, wasm_offset)` at the start of each instruction group, sorted.
    pub srclocs: Vec<(u32, u32)>,
}

impl Image {
    /// The trap recorded at exactly `code_offset`.
    pub fn trap_at(&self, code_offset: u32) -> Option<TrapSite> {
        let i = self.traps.binary_search_by_key(&code_offset, |t| t.code_offset).ok()?;
        Some(self.traps[i])
    }

    /// Code offset of function `index` (a local function).
    pub fn func_offset(&self, num_imported: u32, index: u32) -> Option<u32> {
        let i = index.checked_sub(num_imported)? as usize;
        self.funcs.get(i).map(|f| f.code_offset)
    }
}

struct PendingReloc {
    at: usize,
    target_func: u32,
    addend: i64,
}

/// Accumulates compiled functions, then resolves relocations.
#[derive(Default)]
pub struct Linker {
    image: Image,
    relocs: Vec<PendingReloc>,
    num_imported: u32,
}

impl Linker {
    pub fn new(num_imported: u32) -> Self {
        Linker { num_imported, ..Default::default() }
    }

    /// Appends one compiled function. `func_index` is `u32::MAX` for trampolines; `base_wasm`
    /// is the offset reported for traps with no source location (the prologue's stack check).
    pub fn append(&mut self, func: &Function, code: &CompiledCode, func_index: u32, base_wasm: u32) -> Result<u32> {
        let img = &mut self.image;
        while !img.code.len().is_multiple_of(FUNC_ALIGN) {
            img.code.push(0xcc);
        }
        let start = img.code.len();
        let start32 = u32::try_from(start).map_err(|_| Error::new(ErrorKind::Link, 0u64, "image over 4 GiB"))?;
        let buffer = &code.buffer;
        img.code.extend_from_slice(buffer.data());
        let srclocs: Vec<(u32, u32)> = buffer
            .get_srclocs_sorted()
            .iter()
            .filter(|s| s.loc.is_abs() && !s.loc.as_abs().is_default())
            .map(|s| (start32 + s.start, s.loc.as_abs().bits()))
            .collect();
        for trap in buffer.traps() {
            let Some(kind) = TrapKind::from_code(trap.code) else {
                return Err(Error::new(ErrorKind::Link, base_wasm as usize, "unknown trap code"));
            };
            let at = start32 + trap.offset;
            let wasm_offset = match srclocs.partition_point(|(o, _)| *o <= at) {
                0 => base_wasm,
                i => srclocs[i - 1].1,
            };
            img.traps.push(TrapSite { code_offset: at, kind, wasm_offset, func: func_index });
        }
        img.srclocs.extend_from_slice(&srclocs);
        for r in buffer.relocs() {
            self.relocs.push(pending(func, r, start, base_wasm)?);
        }
        Ok(start32)
    }

    pub fn image_mut(&mut self) -> &mut Image {
        &mut self.image
    }

    /// Resolves every relocation and returns the image.
    pub fn finish(mut self) -> Result<Image> {
        let img = &mut self.image;
        img.traps.sort_by_key(|t| t.code_offset);
        img.srclocs.sort();
        for r in &self.relocs {
            let Some(target) = img.func_offset(self.num_imported, r.target_func) else {
                return Err(Error::new(ErrorKind::Link, 0u64, "relocation to a function that is not local"));
            };
            // S + A - P for every PC-relative kind we accept.
            let value = i64::from(target) + r.addend - r.at as i64;
            let v = i32::try_from(value).map_err(|_| Error::new(ErrorKind::Link, 0u64, "call out of range"))?;
            img.code[r.at..r.at + 4].copy_from_slice(&v.to_le_bytes());
        }
        Ok(self.image)
    }
}

fn pending(func: &Function, r: &MachReloc, start: usize, base_wasm: u32) -> Result<PendingReloc> {
    let err = |what: &str| Error::new(ErrorKind::Link, base_wasm as usize, alloc::format!("unsupported relocation: {what}"));
    let target_func = match &r.target {
        RelocTarget::ExternalName(ExternalName::User(name)) => {
            let n = &func.params.user_named_funcs()[*name];
            if n.namespace != 0 {
                return Err(err("target outside namespace 0"));
            }
            n.index
        }
        RelocTarget::ExternalName(other) => return Err(err(&alloc::format!("{other:?}"))),
        RelocTarget::Label(_) => return Err(err("label-relative")),
    };
    match r.kind {
        Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 | Reloc::X86PCRel4 => {}
        other => return Err(err(&alloc::format!("{other:?}"))),
    }
    Ok(PendingReloc { at: start + r.offset as usize, target_func, addend: r.addend })
}

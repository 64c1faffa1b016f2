//! Wasm values as the embedder sees them, their 8-byte slot encoding, and trap reports.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use hayabusa_compiler::{TrapKind, ValType};

/// A Wasm value. Floats are kept as bits so NaN payloads survive. References are raw words:
/// 0 is null; a funcref is a `VMFuncRef` address; an externref is a host-chosen non-zero word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    FuncRef(usize),
    ExternRef(usize),
    /// A `v128`, little-endian: lane 0 in the low bits.
    V128(u128),
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::V128(_) => ValType::V128,
        }
    }

    /// The value's bits: the 8-byte slot encoding zero-extended, or a `v128`'s 16 bytes (how a
    /// global's cell holds it).
    pub fn to_bits(self) -> u128 {
        match self {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(b) => u128::from(b),
            Val::F64(b) => u128::from(b),
            Val::FuncRef(p) | Val::ExternRef(p) => p as u128,
            Val::V128(b) => b,
        }
    }

    /// The value of type `ty` whose [`Val::to_bits`] is `bits` (higher bits ignored).
    pub fn from_bits(ty: ValType, bits: u128) -> Val {
        let slot = bits as u64;
        match ty {
            ValType::I32 => Val::I32(slot as u32 as i32),
            ValType::I64 => Val::I64(slot as i64),
            ValType::F32 => Val::F32(slot as u32),
            ValType::F64 => Val::F64(slot),
            ValType::FuncRef => Val::FuncRef(slot as usize),
            ValType::ExternRef => Val::ExternRef(slot as usize),
            ValType::V128 => Val::V128(bits),
        }
    }

    /// The one-slot encoding of a value of every type but `v128`, which takes two slots
    /// ([`Val::write_slots`]); for a `v128` this is its low half.
    pub fn to_slot(self) -> u64 {
        self.to_bits() as u64
    }

    /// The value of type `ty` in one slot (a `v128` gets only its low half: see
    /// [`Val::read_slots`]).
    pub fn from_slot(ty: ValType, slot: u64) -> Val {
        Val::from_bits(ty, u128::from(slot))
    }

    /// Writes the value into the first [`ValType::slots`] slots of `out` (a `v128` low half
    /// first) and returns how many it used.
    pub fn write_slots(self, out: &mut [u64]) -> usize {
        let bits = self.to_bits();
        out[0] = bits as u64;
        if self.ty() == ValType::V128 {
            out[1] = (bits >> 64) as u64;
        }
        self.ty().slots()
    }

    /// Reads a value of type `ty` from the first [`ValType::slots`] slots of `slots`.
    pub fn read_slots(ty: ValType, slots: &[u64]) -> Val {
        let high = if ty == ValType::V128 { u128::from(slots[1]) << 64 } else { 0 };
        Val::from_bits(ty, high | u128::from(slots[0]))
    }

    /// Writes `vals` one after another into `out` ([`Val::write_slots`]), each as the type of
    /// `types` at its position (so the layout follows `types` whatever the values are); values
    /// beyond `types` are ignored.
    pub fn write_all(types: &[ValType], vals: &[Val], out: &mut [u64]) {
        let mut at = 0;
        for (t, v) in types.iter().zip(vals) {
            at += Val::from_bits(*t, v.to_bits()).write_slots(&mut out[at..]);
        }
    }

    /// Reads values of `types` one after another from `slots` ([`Val::read_slots`]).
    pub fn read_all(types: &[ValType], slots: &[u64]) -> Vec<Val> {
        let mut at = 0;
        types
            .iter()
            .map(|t| {
                let v = Val::read_slots(*t, &slots[at..]);
                at += t.slots();
                v
            })
            .collect()
    }

    /// The zero/null value of a type.
    pub fn default_of(ty: ValType) -> Val {
        Val::from_slot(ty, 0)
    }
}

/// A trap that ended a call: its kind, and where in the Wasm code it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    pub kind: TrapKind,
    /// Byte offset in the module binary (0 when not known).
    pub wasm_offset: u32,
    /// Function name (name section or `func[N]`), empty when not known.
    pub func: String,
    /// The CPU exception vector of the fault that raised it (on Linux read from the signal's
    /// context, so both platforms report the same), or the cancel causes 0xff / 0xfe
    /// (`cancel::CANCELLED`, `cancel::ABANDONED`); `None` for traps the runtime raised itself.
    pub cause: Option<u32>,
}

impl Trap {
    pub fn new(kind: TrapKind) -> Trap {
        Trap { kind, wasm_offset: 0, func: String::new(), cause: None }
    }

    /// A trap at a trap site of compiled code: `func` is the function index (`u32::MAX` for a
    /// trampoline) and `name` its name when the image has one.
    pub fn at(kind: TrapKind, wasm_offset: u32, func: u32, name: Option<String>, cause: u32) -> Trap {
        let func = name.unwrap_or_else(|| format!("func[{func}]"));
        Trap { kind, wasm_offset, func, cause: Some(cause) }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.kind)?;
        if !self.func.is_empty() {
            write!(f, " in {} at wasm offset {:#x}", self.func, self.wasm_offset)?;
        }
        Ok(())
    }
}

impl core::error::Error for Trap {}

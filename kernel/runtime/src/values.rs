//! Wasm values as the embedder sees them, their 8-byte slot encoding, and trap reports.

use alloc::format;
use alloc::string::String;
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
        }
    }

    pub fn to_slot(self) -> u64 {
        match self {
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F32(b) => b as u64,
            Val::F64(b) => b,
            Val::FuncRef(p) | Val::ExternRef(p) => p as u64,
        }
    }

    pub fn from_slot(ty: ValType, slot: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(slot as u32 as i32),
            ValType::I64 => Val::I64(slot as i64),
            ValType::F32 => Val::F32(slot as u32),
            ValType::F64 => Val::F64(slot),
            ValType::FuncRef => Val::FuncRef(slot as usize),
            ValType::ExternRef => Val::ExternRef(slot as usize),
            t @ ValType::Ref(_) if t.is_func_ref() => Val::FuncRef(slot as usize),
            ValType::Ref(_) => Val::ExternRef(slot as usize),
        }
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

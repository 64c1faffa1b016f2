//! What both engines report, in one vocabulary: values, a common set of trap kinds, the state
//! after a call, and the trace of events a module's run produces.

use std::fmt;

/// A Wasm value as compared. References compare by null-ness only (their words are private to
/// each engine); floats by bits, except that any NaN equals any NaN (the module canonicalises
/// NaNs its arithmetic makes, but Wasm leaves the payload of NaNs to the engine).
#[derive(Clone, Copy, Debug)]
pub enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    FuncRef { null: bool },
    ExternRef { null: bool },
    /// A `v128` compares by bits: its lanes have no type here, and the module canonicalises
    /// the NaNs of the lane-wise float arithmetic too.
    V128(u128),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (*self, *other) {
            (I32(a), I32(b)) => a == b,
            (I64(a), I64(b)) => a == b,
            (F32(a), F32(b)) => a == b || (f32::from_bits(a).is_nan() && f32::from_bits(b).is_nan()),
            (F64(a), F64(b)) => a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan()),
            (FuncRef { null: a }, FuncRef { null: b }) | (ExternRef { null: a }, ExternRef { null: b }) => a == b,
            (V128(a), V128(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I32(v) => write!(f, "i32:{v}"),
            Value::I64(v) => write!(f, "i64:{v}"),
            Value::F32(b) => write!(f, "f32:{}({b:#x})", f32::from_bits(b)),
            Value::F64(b) => write!(f, "f64:{}({b:#x})", f64::from_bits(b)),
            Value::FuncRef { null } => write!(f, "funcref:{}", if null { "null" } else { "non-null" }),
            Value::ExternRef { null } => write!(f, "externref:{}", if null { "null" } else { "non-null" }),
            Value::V128(b) => write!(f, "v128:{b:#034x}"),
        }
    }
}

/// The trap kinds both engines can name. Hayabusa's `UndefinedElement` (`call_indirect` past
/// the table's end) is wasmi's `TableOutOfBounds`: both map to `TableOutOfBounds`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerDivideByZero,
    IntegerOverflow,
    BadConversionToInteger,
    StackOverflow,
    /// Anything else (an engine limit, a host error): never expected, always a difference.
    Other(String),
}

/// What the module's exports show after a call: linear memory's size and FNV-1a hash, every
/// exported global's value and every exported table's size, in export order.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub memory_bytes: u64,
    pub memory_hash: u64,
    pub globals: Vec<Value>,
    pub tables: Vec<u64>,
}

/// FNV-1a over `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One step of a module's run.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Instantiation (data and element segments, the start function) succeeded: the state.
    Instantiated(State),
    /// Instantiation trapped: nothing more runs.
    InstantiationTrapped(TrapKind),
    /// A call of an exported function: its results or trap, then the state.
    Call { export: String, args: Vec<Value>, result: Result<Vec<Value>, TrapKind>, state: State },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[Value]| v.iter().map(Value::to_string).collect::<Vec<_>>().join(", ");
        match self {
            Event::Instantiated(s) => write!(f, "instantiated; {}", show_state(s)),
            Event::InstantiationTrapped(k) => write!(f, "instantiation trapped: {k:?}"),
            Event::Call { export, args, result, state } => {
                write!(f, "call {export:?}({})", list(args))?;
                match result {
                    Ok(vs) => write!(f, " -> [{}]", list(vs))?,
                    Err(k) => write!(f, " -> trap {k:?}")?,
                }
                write!(f, "; {}", show_state(state))
            }
        }
    }
}

fn show_state(s: &State) -> String {
    let globals = s.globals.iter().map(Value::to_string).collect::<Vec<_>>().join(", ");
    format!(
        "memory {} bytes hash {:#018x}, globals [{globals}], table sizes {:?}",
        s.memory_bytes, s.memory_hash, s.tables
    )
}

//! Trap kinds: how they are encoded in Cranelift trap codes and how they are reported.

use cranelift_codegen::ir::TrapCode;

/// Why a Wasm call ended abnormally. Numbers are fixed (builtins return them as status words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TrapKind {
    Unreachable = 1,
    IntegerDivideByZero = 2,
    IntegerOverflow = 3,
    BadConversionToInteger = 4,
    MemoryOutOfBounds = 5,
    TableOutOfBounds = 6,
    /// `call_indirect` index past the table's end.
    UndefinedElement = 7,
    /// `call_indirect` through a null entry.
    UninitializedElement = 8,
    IndirectCallTypeMismatch = 9,
    StackOverflow = 10,
    /// A call into an instance that another thread is running: refused by the runtime before
    /// any Wasm code runs (one thread at a time per instance); compiled code never raises it.
    ConcurrentCall = 11,
    /// `ref.as_non_null` of a null reference.
    NullReference = 12,
    /// `call_ref` / `return_call_ref` through a null function reference.
    NullFunctionReference = 13,
}

impl TrapKind {
    pub const ALL: [TrapKind; 13] = [
        TrapKind::Unreachable,
        TrapKind::IntegerDivideByZero,
        TrapKind::IntegerOverflow,
        TrapKind::BadConversionToInteger,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::UndefinedElement,
        TrapKind::UninitializedElement,
        TrapKind::IndirectCallTypeMismatch,
        TrapKind::StackOverflow,
        TrapKind::ConcurrentCall,
        TrapKind::NullReference,
        TrapKind::NullFunctionReference,
    ];

    /// The spec suite's wording for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::IntegerDivideByZero => "integer divide by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::ConcurrentCall => "instance already running on another thread",
            TrapKind::NullReference => "null reference",
            TrapKind::NullFunctionReference => "null function reference",
        }
    }

    pub fn from_u8(n: u8) -> Option<TrapKind> {
        TrapKind::ALL.iter().copied().find(|k| *k as u8 == n)
    }

    /// The Cranelift trap code compiled code uses for this kind.
    pub fn code(self) -> TrapCode {
        match self {
            TrapKind::StackOverflow => TrapCode::STACK_OVERFLOW,
            TrapKind::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
            TrapKind::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
            TrapKind::IntegerDivideByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
            TrapKind::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
            other => TrapCode::unwrap_user(other as u8),
        }
    }

    /// Inverse of [`TrapKind::code`].
    pub fn from_code(code: TrapCode) -> Option<TrapKind> {
        TrapKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

impl core::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

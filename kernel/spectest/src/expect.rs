//! Arguments to runtime values, and whether a result matches its expectation: NaN patterns,
//! `v128` lane by lane, references by identity wherever the script names one.

use crate::script::{Arg, Expected, FloatPat, FuncId, NullKind};
use alloc::format;
use alloc::string::String;
use hayabusa_compiler::ValType;
use hayabusa_runtime::Val;

/// Externref values the script passes are encoded as `n + 1`, keeping 0 for null.
pub fn extern_word(n: u32) -> usize {
    n as usize + 1
}

/// The value of `a` for a parameter of type `ty`.
pub fn arg(a: Arg, ty: ValType) -> Val {
    match a {
        Arg::I32(v) => Val::I32(v),
        Arg::I64(v) => Val::I64(v),
        Arg::F32(b) => Val::F32(b),
        Arg::F64(b) => Val::F64(b),
        Arg::V128(b) => Val::V128(b),
        Arg::RefNull => Val::default_of(ty),
        Arg::RefExtern(n) => Val::ExternRef(extern_word(n)),
    }
}

/// Whether float bits of `width` (32 or 64) match `p`.
fn float_matches(p: FloatPat, bits: u64, width: u8) -> bool {
    let (exp, quiet, sign) = if width == 32 {
        (0x7f80_0000u64, 0x0040_0000u64, 0x8000_0000u64)
    } else {
        (0x7ff0_0000_0000_0000, 0x0008_0000_0000_0000, 0x8000_0000_0000_0000)
    };
    let frac = quiet * 2 - 1;
    let nan = bits & exp == exp && bits & frac != 0;
    match p {
        FloatPat::Value(v) => v == bits,
        FloatPat::CanonicalNan => bits & !sign == exp | quiet,
        FloatPat::ArithmeticNan => nan && bits & quiet != 0,
    }
}

fn lane(bits: u128, i: usize, width: u8) -> u64 {
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    (bits >> (i * usize::from(width))) as u64 & mask
}

/// Resolves a `(ref.func N)` of an expectation to that function's reference word in the module
/// the assertion ran against (`None`: no such function).
pub type FuncResolver<'a> = &'a dyn Fn(&FuncId) -> Option<usize>;

/// Whether `v` satisfies `e`. Only `(ref.func)` / `(ref.extern)` without an index accept any
/// non-null reference; `Err` for an expectation that cannot be checked.
pub fn matches(e: &Expected, v: &Val, func: FuncResolver<'_>) -> Result<bool, String> {
    Ok(match (e, v) {
        (Expected::I32(x), Val::I32(a)) => x == a,
        (Expected::I64(x), Val::I64(a)) => x == a,
        (Expected::F32(p), Val::F32(a)) => float_matches(*p, u64::from(*a), 32),
        (Expected::F64(p), Val::F64(a)) => float_matches(*p, *a, 64),
        (Expected::V128Ints { bits, lanes }, Val::V128(a)) => {
            lanes.iter().enumerate().all(|(i, x)| lane(*a, i, *bits) == *x & lane(u128::MAX, 0, *bits))
        }
        (Expected::V128Floats { bits, lanes }, Val::V128(a)) => {
            lanes.iter().enumerate().all(|(i, p)| float_matches(*p, lane(*a, i, *bits), *bits))
        }
        (Expected::RefNull(kind), Val::FuncRef(a) | Val::ExternRef(a)) => {
            let kind_ok = match kind {
                NullKind::Func => matches!(v, Val::FuncRef(_)),
                NullKind::Extern => matches!(v, Val::ExternRef(_)),
                NullKind::Any => true,
            };
            kind_ok && *a == 0
        }
        (Expected::RefExtern(None), Val::ExternRef(a)) => *a != 0,
        (Expected::RefExtern(Some(n)), Val::ExternRef(a)) => *a == extern_word(*n),
        (Expected::RefFunc(None), Val::FuncRef(a)) => *a != 0,
        (Expected::RefFunc(Some(id)), Val::FuncRef(a)) => match func(id) {
            Some(expected) => *a != 0 && *a == expected,
            None => return Err(format!("ref.func {id:?}: no such function in the module")),
        },
        (Expected::Either(list), v) => {
            for e in list {
                if matches(e, v, func)? {
                    return Ok(true);
                }
            }
            false
        }
        (Expected::Unsupported(why), _) => return Err(why.clone()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn no_funcs(_: &FuncId) -> Option<usize> {
        None
    }

    #[test]
    fn nan_patterns() {
        let f = &no_funcs;
        assert!(matches(&Expected::F32(FloatPat::CanonicalNan), &Val::F32(0xffc0_0000), f).unwrap());
        assert!(!matches(&Expected::F32(FloatPat::CanonicalNan), &Val::F32(0x7fc0_0001), f).unwrap());
        assert!(matches(&Expected::F32(FloatPat::ArithmeticNan), &Val::F32(0x7fc0_0001), f).unwrap());
        assert!(!matches(&Expected::F64(FloatPat::ArithmeticNan), &Val::F64(0x7ff0_0000_0000_0001), f).unwrap());
        assert!(matches(&Expected::F64(FloatPat::CanonicalNan), &Val::F64(0x7ff8_0000_0000_0000), f).unwrap());
    }

    #[test]
    fn v128_lanes() {
        let f = &no_funcs;
        let v = Val::V128(u128::from_le_bytes([0xff; 16]));
        let e = Expected::V128Ints { bits: 8, lanes: vec![0xff; 16] };
        assert!(matches(&e, &v, f).unwrap());
        let e = Expected::V128Ints { bits: 64, lanes: vec![u64::MAX, u64::MAX - 1] };
        assert!(!matches(&e, &v, f).unwrap());
        let e = Expected::V128Floats { bits: 32, lanes: vec![FloatPat::ArithmeticNan; 4] };
        assert!(matches(&e, &v, f).unwrap());
    }

    #[test]
    fn references_by_identity() {
        let f = &|id: &FuncId| (*id == FuncId::Index(1)).then_some(0x1000);
        assert!(matches(&Expected::RefFunc(Some(FuncId::Index(1))), &Val::FuncRef(0x1000), f).unwrap());
        assert!(!matches(&Expected::RefFunc(Some(FuncId::Index(1))), &Val::FuncRef(0x2000), f).unwrap());
        assert!(matches(&Expected::RefExtern(Some(3)), &Val::ExternRef(4), f).unwrap());
        assert!(!matches(&Expected::RefNull(NullKind::Func), &Val::ExternRef(0), f).unwrap());
        assert!(matches(&Expected::RefNull(NullKind::Any), &Val::ExternRef(0), f).unwrap());
    }
}

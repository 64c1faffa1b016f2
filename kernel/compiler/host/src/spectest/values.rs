//! Conversions between `.wast` arguments/expectations and runtime values, NaN patterns included.

use crate::Val;
use hayabusa_compiler::ValType;
use wast::core::{NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// Externref values the script passes are encoded as `n + 1`, keeping 0 for null.
pub fn extern_word(n: u32) -> usize {
    n as usize + 1
}

pub fn arg(a: &WastArg<'_>, ty: ValType) -> Result<Val, String> {
    let WastArg::Core(a) = a else { return Err("component values are unsupported".into()) };
    Ok(match a {
        WastArgCore::I32(v) => Val::I32(*v),
        WastArgCore::I64(v) => Val::I64(*v),
        WastArgCore::F32(f) => Val::F32(f.bits),
        WastArgCore::F64(f) => Val::F64(f.bits),
        WastArgCore::RefNull(_) => Val::default_of(ty),
        WastArgCore::RefExtern(n) | WastArgCore::RefHost(n) => Val::ExternRef(extern_word(*n)),
        WastArgCore::V128(c) => Val::V128(u128::from_le_bytes(c.to_le_bytes())),
    })
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    let nan = bits & 0x7f80_0000 == 0x7f80_0000 && bits & 0x007f_ffff != 0;
    match p {
        NanPattern::Value(f) => f.bits == bits,
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => nan && bits & 0x0040_0000 != 0,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    let exp = 0x7ff0_0000_0000_0000u64;
    let nan = bits & exp == exp && bits & 0x000f_ffff_ffff_ffff != 0;
    match p {
        NanPattern::Value(f) => f.bits == bits,
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => nan && bits & 0x0008_0000_0000_0000 != 0,
    }
}

/// A `v128` expectation, lane by lane: integers exactly, floats with a NaN pattern per lane.
fn v128_matches(p: &V128Pattern, bits: u128) -> bool {
    let lane = |i: usize, width: u32| (bits >> (i as u32 * width)) & ((1u128 << width) - 1);
    match p {
        V128Pattern::I8x16(e) => e.iter().enumerate().all(|(i, v)| lane(i, 8) == u128::from(*v as u8)),
        V128Pattern::I16x8(e) => e.iter().enumerate().all(|(i, v)| lane(i, 16) == u128::from(*v as u16)),
        V128Pattern::I32x4(e) => e.iter().enumerate().all(|(i, v)| lane(i, 32) == u128::from(*v as u32)),
        V128Pattern::I64x2(e) => e.iter().enumerate().all(|(i, v)| lane(i, 64) == u128::from(*v as u64)),
        V128Pattern::F32x4(e) => e.iter().enumerate().all(|(i, p)| f32_matches(p, lane(i, 32) as u32)),
        V128Pattern::F64x2(e) => e.iter().enumerate().all(|(i, p)| f64_matches(p, lane(i, 64) as u64)),
    }
}

/// Resolves `(ref.func N)` / `(ref.func $f)` of an expected result to that function's reference
/// in the module the assertion runs against.
pub type FuncResolver<'a> = &'a dyn Fn(&wast::token::Index<'_>) -> Option<usize>;

/// Whether `v` satisfies the expectation `r`. References compare by identity wherever the
/// script names one: `(ref.extern N)`, `(ref.func N)`, and the heap type of `(ref.null T)`;
/// only `(ref.func)` / `(ref.extern)` without an index accept any non-null reference.
pub fn matches(r: &WastRet<'_>, v: &Val, func: FuncResolver<'_>) -> Result<bool, String> {
    let WastRet::Core(r) = r else { return Err("component values are unsupported".into()) };
    core_matches(r, v, func)
}

fn core_matches(r: &WastRetCore<'_>, v: &Val, func: FuncResolver<'_>) -> Result<bool, String> {
    use wast::core::{AbstractHeapType as A, HeapType};
    Ok(match (r, v) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(p), Val::F32(a)) => f32_matches(p, *a),
        (WastRetCore::F64(p), Val::F64(a)) => f64_matches(p, *a),
        (WastRetCore::RefNull(ty), Val::FuncRef(a) | Val::ExternRef(a)) => {
            let kind_ok = match ty {
                Some(HeapType::Abstract { ty: A::Func | A::NoFunc, .. }) => matches!(v, Val::FuncRef(_)),
                Some(HeapType::Abstract { ty: A::Extern | A::NoExtern, .. }) => matches!(v, Val::ExternRef(_)),
                _ => true,
            };
            kind_ok && *a == 0
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(a)) => *a != 0,
        (WastRetCore::RefExtern(Some(n)) | WastRetCore::RefHost(n), Val::ExternRef(a)) => *a == extern_word(*n),
        (WastRetCore::RefFunc(None), Val::FuncRef(a)) => *a != 0,
        (WastRetCore::RefFunc(Some(i)), Val::FuncRef(a)) => match func(i) {
            Some(expected) => *a != 0 && *a == expected,
            None => return Err(format!("ref.func {i:?}: no such function in the module")),
        },
        (WastRetCore::Either(list), v) => {
            for r in list {
                if core_matches(r, v, func)? {
                    return Ok(true);
                }
            }
            false
        }
        (WastRetCore::V128(p), Val::V128(a)) => v128_matches(p, *a),
        _ => false,
    })
}

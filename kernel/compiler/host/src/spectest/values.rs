//! `.wast` arguments and expected results, lowered to the shared script's bits and patterns.

use hayabusa_spectest::script::{Arg, Expected, FloatPat, FuncId, NullKind};
use wast::core::{NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

pub fn arg(a: &WastArg<'_>) -> Result<Arg, String> {
    let WastArg::Core(a) = a else { return Err("component values are unsupported".into()) };
    Ok(match a {
        WastArgCore::I32(v) => Arg::I32(*v),
        WastArgCore::I64(v) => Arg::I64(*v),
        WastArgCore::F32(f) => Arg::F32(f.bits),
        WastArgCore::F64(f) => Arg::F64(f.bits),
        WastArgCore::RefNull(_) => Arg::RefNull,
        WastArgCore::RefExtern(n) | WastArgCore::RefHost(n) => Arg::RefExtern(*n),
        WastArgCore::V128(c) => Arg::V128(u128::from_le_bytes(c.to_le_bytes())),
    })
}

fn f32_pat(p: &NanPattern<wast::token::F32>) -> FloatPat {
    match p {
        NanPattern::Value(f) => FloatPat::Value(u64::from(f.bits)),
        NanPattern::CanonicalNan => FloatPat::CanonicalNan,
        NanPattern::ArithmeticNan => FloatPat::ArithmeticNan,
    }
}

fn f64_pat(p: &NanPattern<wast::token::F64>) -> FloatPat {
    match p {
        NanPattern::Value(f) => FloatPat::Value(f.bits),
        NanPattern::CanonicalNan => FloatPat::CanonicalNan,
        NanPattern::ArithmeticNan => FloatPat::ArithmeticNan,
    }
}

fn v128(p: &V128Pattern) -> Expected {
    let ints = |bits: u8, lanes: Vec<u64>| Expected::V128Ints { bits, lanes };
    match p {
        V128Pattern::I8x16(e) => ints(8, e.iter().map(|v| u64::from(*v as u8)).collect()),
        V128Pattern::I16x8(e) => ints(16, e.iter().map(|v| u64::from(*v as u16)).collect()),
        V128Pattern::I32x4(e) => ints(32, e.iter().map(|v| u64::from(*v as u32)).collect()),
        V128Pattern::I64x2(e) => ints(64, e.iter().map(|v| *v as u64).collect()),
        V128Pattern::F32x4(e) => Expected::V128Floats { bits: 32, lanes: e.iter().map(f32_pat).collect() },
        V128Pattern::F64x2(e) => Expected::V128Floats { bits: 64, lanes: e.iter().map(f64_pat).collect() },
    }
}

/// The expectation `r`. References compare by identity wherever the script names one:
/// `(ref.extern N)`, `(ref.func N)`, and the heap type of `(ref.null T)`.
pub fn expected(r: &WastRet<'_>) -> Expected {
    match r {
        WastRet::Core(r) => core(r),
        #[allow(unreachable_patterns)]
        _ => Expected::Unsupported("component values are unsupported".into()),
    }
}

fn core(r: &WastRetCore<'_>) -> Expected {
    use wast::core::{AbstractHeapType as A, HeapType};
    match r {
        WastRetCore::I32(v) => Expected::I32(*v),
        WastRetCore::I64(v) => Expected::I64(*v),
        WastRetCore::F32(p) => Expected::F32(f32_pat(p)),
        WastRetCore::F64(p) => Expected::F64(f64_pat(p)),
        WastRetCore::V128(p) => v128(p),
        WastRetCore::RefNull(ty) => Expected::RefNull(match ty {
            Some(HeapType::Abstract { ty: A::Func | A::NoFunc, .. }) => NullKind::Func,
            Some(HeapType::Abstract { ty: A::Extern | A::NoExtern, .. }) => NullKind::Extern,
            _ => NullKind::Any,
        }),
        WastRetCore::RefExtern(n) => Expected::RefExtern(*n),
        WastRetCore::RefHost(n) => Expected::RefExtern(Some(*n)),
        WastRetCore::RefFunc(i) => Expected::RefFunc(i.map(|i| match i {
            wast::token::Index::Num(n, _) => FuncId::Index(n),
            wast::token::Index::Id(id) => FuncId::Name(id.name().to_string()),
        })),
        WastRetCore::Either(list) => Expected::Either(list.iter().map(core).collect()),
        other => Expected::Never(format!("{other:?}")),
    }
}

//! The SIMD operator match (Wasm 2.0 fixed-width SIMD): one flat arm per operator, delegating
//! to the lane helpers in `simd_lanes.rs` or to the few sequences written out below.
//!
//! Every operator maps to CLIF that Cranelift's x86 backend lowers with SSE4.1 and no AVX (the
//! ISA the compiler requires); where Wasm's meaning differs from one CLIF instruction the
//! sequence is spelt out (pseudo-min/max, narrowing float-to-int with zeroed upper lanes, dot
//! products and extended multiplies as widen + multiply, which the backend matches to
//! `pmaddwd`/`pmuldq` and friends).

use super::func::Translator;
use super::memory::{self, Ext};
use super::simd_lanes::{self as l, Access, Widen, pop, pop2, push};
use super::state::State;
use crate::error::{Error, ErrorKind, Result};
use cranelift_codegen::ir::Opcode as Op;
use cranelift_codegen::ir::condcodes::{FloatCC as F, IntCC as I};
use cranelift_codegen::ir::types::{F32X4, F64X2, I8, I8X16, I16, I16X8, I32, I32X4, I64, I64X2};
use cranelift_codegen::ir::{InstBuilder, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator as O;

/// Translates SIMD operator `op` at Wasm offset `off`; any other operator is unsupported.
pub fn translate(t: &mut Translator, op: &O, off: u64) -> Result<()> {
    let (env, b, st) = (&mut t.env, &mut t.builder, &mut t.state);
    match *op {
        // Memory.
        O::V128Load { ref memarg } => memory::load(env, b, st, memarg, I8X16, 128, Ext::None),
        O::V128Store { ref memarg } => memory::store(env, b, st, memarg, 128),
        O::V128Load8x8S { ref memarg } => l::load(env, b, st, memarg, Access::Extend(Op::Sload8x8)),
        O::V128Load8x8U { ref memarg } => l::load(env, b, st, memarg, Access::Extend(Op::Uload8x8)),
        O::V128Load16x4S { ref memarg } => l::load(env, b, st, memarg, Access::Extend(Op::Sload16x4)),
        O::V128Load16x4U { ref memarg } => l::load(env, b, st, memarg, Access::Extend(Op::Uload16x4)),
        O::V128Load32x2S { ref memarg } => l::load(env, b, st, memarg, Access::Extend(Op::Sload32x2)),
        O::V128Load32x2U { ref memarg } => l::load(env, b, st, memarg, Access::Extend(Op::Uload32x2)),
        O::V128Load8Splat { ref memarg } => l::load(env, b, st, memarg, Access::Splat(I8)),
        O::V128Load16Splat { ref memarg } => l::load(env, b, st, memarg, Access::Splat(I16)),
        O::V128Load32Splat { ref memarg } => l::load(env, b, st, memarg, Access::Splat(I32)),
        O::V128Load64Splat { ref memarg } => l::load(env, b, st, memarg, Access::Splat(I64)),
        O::V128Load32Zero { ref memarg } => l::load(env, b, st, memarg, Access::Zero(I32)),
        O::V128Load64Zero { ref memarg } => l::load(env, b, st, memarg, Access::Zero(I64)),
        O::V128Load8Lane { ref memarg, lane } => l::load_lane(env, b, st, memarg, I8, lane),
        O::V128Load16Lane { ref memarg, lane } => l::load_lane(env, b, st, memarg, I16, lane),
        O::V128Load32Lane { ref memarg, lane } => l::load_lane(env, b, st, memarg, I32, lane),
        O::V128Load64Lane { ref memarg, lane } => l::load_lane(env, b, st, memarg, I64, lane),
        O::V128Store8Lane { ref memarg, lane } => l::store_lane(env, b, st, memarg, I8, lane),
        O::V128Store16Lane { ref memarg, lane } => l::store_lane(env, b, st, memarg, I16, lane),
        O::V128Store32Lane { ref memarg, lane } => l::store_lane(env, b, st, memarg, I32, lane),
        O::V128Store64Lane { ref memarg, lane } => l::store_lane(env, b, st, memarg, I64, lane),

        // Constants, lanes, shuffles.
        O::V128Const { value } => {
            let v = l::vconst(b, I8X16, *value.bytes());
            st.push(v);
        }
        O::I8x16Shuffle { ref lanes } => l::shuffle(b, st, lanes),
        O::I8x16Swizzle => {
            let (x, y) = pop2(b, st, I8X16);
            let v = b.ins().swizzle(x, y);
            push(b, st, v);
        }
        O::I8x16Splat => l::splat(b, st, I8X16),
        O::I16x8Splat => l::splat(b, st, I16X8),
        O::I32x4Splat => l::splat(b, st, I32X4),
        O::I64x2Splat => l::splat(b, st, I64X2),
        O::F32x4Splat => l::splat(b, st, F32X4),
        O::F64x2Splat => l::splat(b, st, F64X2),
        O::I8x16ExtractLaneS { lane } => l::extract_lane(b, st, I8X16, lane, Widen::Signed),
        O::I8x16ExtractLaneU { lane } => l::extract_lane(b, st, I8X16, lane, Widen::Unsigned),
        O::I16x8ExtractLaneS { lane } => l::extract_lane(b, st, I16X8, lane, Widen::Signed),
        O::I16x8ExtractLaneU { lane } => l::extract_lane(b, st, I16X8, lane, Widen::Unsigned),
        O::I32x4ExtractLane { lane } => l::extract_lane(b, st, I32X4, lane, Widen::None),
        O::I64x2ExtractLane { lane } => l::extract_lane(b, st, I64X2, lane, Widen::None),
        O::F32x4ExtractLane { lane } => l::extract_lane(b, st, F32X4, lane, Widen::None),
        O::F64x2ExtractLane { lane } => l::extract_lane(b, st, F64X2, lane, Widen::None),
        O::I8x16ReplaceLane { lane } => l::replace_lane(b, st, I8X16, lane),
        O::I16x8ReplaceLane { lane } => l::replace_lane(b, st, I16X8, lane),
        O::I32x4ReplaceLane { lane } => l::replace_lane(b, st, I32X4, lane),
        O::I64x2ReplaceLane { lane } => l::replace_lane(b, st, I64X2, lane),
        O::F32x4ReplaceLane { lane } => l::replace_lane(b, st, F32X4, lane),
        O::F64x2ReplaceLane { lane } => l::replace_lane(b, st, F64X2, lane),

        // Integer comparisons.
        O::I8x16Eq => l::icmp(b, st, I8X16, I::Equal),
        O::I16x8Eq => l::icmp(b, st, I16X8, I::Equal),
        O::I32x4Eq => l::icmp(b, st, I32X4, I::Equal),
        O::I64x2Eq => l::icmp(b, st, I64X2, I::Equal),
        O::I8x16Ne => l::icmp(b, st, I8X16, I::NotEqual),
        O::I16x8Ne => l::icmp(b, st, I16X8, I::NotEqual),
        O::I32x4Ne => l::icmp(b, st, I32X4, I::NotEqual),
        O::I64x2Ne => l::icmp(b, st, I64X2, I::NotEqual),
        O::I8x16LtS => l::icmp(b, st, I8X16, I::SignedLessThan),
        O::I16x8LtS => l::icmp(b, st, I16X8, I::SignedLessThan),
        O::I32x4LtS => l::icmp(b, st, I32X4, I::SignedLessThan),
        O::I64x2LtS => l::icmp(b, st, I64X2, I::SignedLessThan),
        O::I8x16LtU => l::icmp(b, st, I8X16, I::UnsignedLessThan),
        O::I16x8LtU => l::icmp(b, st, I16X8, I::UnsignedLessThan),
        O::I32x4LtU => l::icmp(b, st, I32X4, I::UnsignedLessThan),
        O::I8x16GtS => l::icmp(b, st, I8X16, I::SignedGreaterThan),
        O::I16x8GtS => l::icmp(b, st, I16X8, I::SignedGreaterThan),
        O::I32x4GtS => l::icmp(b, st, I32X4, I::SignedGreaterThan),
        O::I64x2GtS => l::icmp(b, st, I64X2, I::SignedGreaterThan),
        O::I8x16GtU => l::icmp(b, st, I8X16, I::UnsignedGreaterThan),
        O::I16x8GtU => l::icmp(b, st, I16X8, I::UnsignedGreaterThan),
        O::I32x4GtU => l::icmp(b, st, I32X4, I::UnsignedGreaterThan),
        O::I8x16LeS => l::icmp(b, st, I8X16, I::SignedLessThanOrEqual),
        O::I16x8LeS => l::icmp(b, st, I16X8, I::SignedLessThanOrEqual),
        O::I32x4LeS => l::icmp(b, st, I32X4, I::SignedLessThanOrEqual),
        O::I64x2LeS => l::icmp(b, st, I64X2, I::SignedLessThanOrEqual),
        O::I8x16LeU => l::icmp(b, st, I8X16, I::UnsignedLessThanOrEqual),
        O::I16x8LeU => l::icmp(b, st, I16X8, I::UnsignedLessThanOrEqual),
        O::I32x4LeU => l::icmp(b, st, I32X4, I::UnsignedLessThanOrEqual),
        O::I8x16GeS => l::icmp(b, st, I8X16, I::SignedGreaterThanOrEqual),
        O::I16x8GeS => l::icmp(b, st, I16X8, I::SignedGreaterThanOrEqual),
        O::I32x4GeS => l::icmp(b, st, I32X4, I::SignedGreaterThanOrEqual),
        O::I64x2GeS => l::icmp(b, st, I64X2, I::SignedGreaterThanOrEqual),
        O::I8x16GeU => l::icmp(b, st, I8X16, I::UnsignedGreaterThanOrEqual),
        O::I16x8GeU => l::icmp(b, st, I16X8, I::UnsignedGreaterThanOrEqual),
        O::I32x4GeU => l::icmp(b, st, I32X4, I::UnsignedGreaterThanOrEqual),

        // Float comparisons.
        O::F32x4Eq => l::fcmp(b, st, F32X4, F::Equal),
        O::F64x2Eq => l::fcmp(b, st, F64X2, F::Equal),
        O::F32x4Ne => l::fcmp(b, st, F32X4, F::NotEqual),
        O::F64x2Ne => l::fcmp(b, st, F64X2, F::NotEqual),
        O::F32x4Lt => l::fcmp(b, st, F32X4, F::LessThan),
        O::F64x2Lt => l::fcmp(b, st, F64X2, F::LessThan),
        O::F32x4Gt => l::fcmp(b, st, F32X4, F::GreaterThan),
        O::F64x2Gt => l::fcmp(b, st, F64X2, F::GreaterThan),
        O::F32x4Le => l::fcmp(b, st, F32X4, F::LessThanOrEqual),
        O::F64x2Le => l::fcmp(b, st, F64X2, F::LessThanOrEqual),
        O::F32x4Ge => l::fcmp(b, st, F32X4, F::GreaterThanOrEqual),
        O::F64x2Ge => l::fcmp(b, st, F64X2, F::GreaterThanOrEqual),

        // Bitwise.
        O::V128Not => l::unary(b, st, I8X16, Op::Bnot),
        O::V128And => l::binary(b, st, I8X16, Op::Band),
        O::V128AndNot => {
            let (x, y) = pop2(b, st, I8X16);
            let not_y = b.ins().bnot(y);
            let v = b.ins().band(x, not_y);
            push(b, st, v);
        }
        O::V128Or => l::binary(b, st, I8X16, Op::Bor),
        O::V128Xor => l::binary(b, st, I8X16, Op::Bxor),
        O::V128Bitselect => {
            let c = pop(b, st, I8X16);
            let (x, y) = pop2(b, st, I8X16);
            let v = b.ins().bitselect(c, x, y);
            push(b, st, v);
        }
        O::V128AnyTrue => l::reduce_bool(b, st, I8X16, false),
        O::I8x16AllTrue => l::reduce_bool(b, st, I8X16, true),
        O::I16x8AllTrue => l::reduce_bool(b, st, I16X8, true),
        O::I32x4AllTrue => l::reduce_bool(b, st, I32X4, true),
        O::I64x2AllTrue => l::reduce_bool(b, st, I64X2, true),
        O::I8x16Bitmask => l::bitmask(b, st, I8X16),
        O::I16x8Bitmask => l::bitmask(b, st, I16X8),
        O::I32x4Bitmask => l::bitmask(b, st, I32X4),
        O::I64x2Bitmask => l::bitmask(b, st, I64X2),

        // Integer arithmetic.
        O::I8x16Abs => l::unary(b, st, I8X16, Op::Iabs),
        O::I16x8Abs => l::unary(b, st, I16X8, Op::Iabs),
        O::I32x4Abs => l::unary(b, st, I32X4, Op::Iabs),
        O::I64x2Abs => l::unary(b, st, I64X2, Op::Iabs),
        O::I8x16Neg => l::unary(b, st, I8X16, Op::Ineg),
        O::I16x8Neg => l::unary(b, st, I16X8, Op::Ineg),
        O::I32x4Neg => l::unary(b, st, I32X4, Op::Ineg),
        O::I64x2Neg => l::unary(b, st, I64X2, Op::Ineg),
        O::I8x16Popcnt => l::unary(b, st, I8X16, Op::Popcnt),
        O::I8x16Shl => l::shift(b, st, I8X16, Op::Ishl),
        O::I16x8Shl => l::shift(b, st, I16X8, Op::Ishl),
        O::I32x4Shl => l::shift(b, st, I32X4, Op::Ishl),
        O::I64x2Shl => l::shift(b, st, I64X2, Op::Ishl),
        O::I8x16ShrS => l::shift(b, st, I8X16, Op::Sshr),
        O::I16x8ShrS => l::shift(b, st, I16X8, Op::Sshr),
        O::I32x4ShrS => l::shift(b, st, I32X4, Op::Sshr),
        O::I64x2ShrS => l::shift(b, st, I64X2, Op::Sshr),
        O::I8x16ShrU => l::shift(b, st, I8X16, Op::Ushr),
        O::I16x8ShrU => l::shift(b, st, I16X8, Op::Ushr),
        O::I32x4ShrU => l::shift(b, st, I32X4, Op::Ushr),
        O::I64x2ShrU => l::shift(b, st, I64X2, Op::Ushr),
        O::I8x16Add => l::binary(b, st, I8X16, Op::Iadd),
        O::I16x8Add => l::binary(b, st, I16X8, Op::Iadd),
        O::I32x4Add => l::binary(b, st, I32X4, Op::Iadd),
        O::I64x2Add => l::binary(b, st, I64X2, Op::Iadd),
        O::I8x16Sub => l::binary(b, st, I8X16, Op::Isub),
        O::I16x8Sub => l::binary(b, st, I16X8, Op::Isub),
        O::I32x4Sub => l::binary(b, st, I32X4, Op::Isub),
        O::I64x2Sub => l::binary(b, st, I64X2, Op::Isub),
        O::I16x8Mul => l::binary(b, st, I16X8, Op::Imul),
        O::I32x4Mul => l::binary(b, st, I32X4, Op::Imul),
        O::I64x2Mul => l::binary(b, st, I64X2, Op::Imul),
        O::I8x16AddSatS => l::binary(b, st, I8X16, Op::SaddSat),
        O::I16x8AddSatS => l::binary(b, st, I16X8, Op::SaddSat),
        O::I8x16AddSatU => l::binary(b, st, I8X16, Op::UaddSat),
        O::I16x8AddSatU => l::binary(b, st, I16X8, Op::UaddSat),
        O::I8x16SubSatS => l::binary(b, st, I8X16, Op::SsubSat),
        O::I16x8SubSatS => l::binary(b, st, I16X8, Op::SsubSat),
        O::I8x16SubSatU => l::binary(b, st, I8X16, Op::UsubSat),
        O::I16x8SubSatU => l::binary(b, st, I16X8, Op::UsubSat),
        O::I8x16MinS => l::binary(b, st, I8X16, Op::Smin),
        O::I16x8MinS => l::binary(b, st, I16X8, Op::Smin),
        O::I32x4MinS => l::binary(b, st, I32X4, Op::Smin),
        O::I8x16MinU => l::binary(b, st, I8X16, Op::Umin),
        O::I16x8MinU => l::binary(b, st, I16X8, Op::Umin),
        O::I32x4MinU => l::binary(b, st, I32X4, Op::Umin),
        O::I8x16MaxS => l::binary(b, st, I8X16, Op::Smax),
        O::I16x8MaxS => l::binary(b, st, I16X8, Op::Smax),
        O::I32x4MaxS => l::binary(b, st, I32X4, Op::Smax),
        O::I8x16MaxU => l::binary(b, st, I8X16, Op::Umax),
        O::I16x8MaxU => l::binary(b, st, I16X8, Op::Umax),
        O::I32x4MaxU => l::binary(b, st, I32X4, Op::Umax),
        O::I8x16AvgrU => l::binary(b, st, I8X16, Op::AvgRound),
        O::I16x8AvgrU => l::binary(b, st, I16X8, Op::AvgRound),
        O::I16x8Q15MulrSatS => l::binary(b, st, I16X8, Op::SqmulRoundSat),

        // Widening and narrowing.
        O::I8x16NarrowI16x8S => narrow(b, st, I16X8, true),
        O::I8x16NarrowI16x8U => narrow(b, st, I16X8, false),
        O::I16x8NarrowI32x4S => narrow(b, st, I32X4, true),
        O::I16x8NarrowI32x4U => narrow(b, st, I32X4, false),
        O::I16x8ExtendLowI8x16S => l::unary(b, st, I8X16, Op::SwidenLow),
        O::I16x8ExtendHighI8x16S => l::unary(b, st, I8X16, Op::SwidenHigh),
        O::I16x8ExtendLowI8x16U => l::unary(b, st, I8X16, Op::UwidenLow),
        O::I16x8ExtendHighI8x16U => l::unary(b, st, I8X16, Op::UwidenHigh),
        O::I32x4ExtendLowI16x8S => l::unary(b, st, I16X8, Op::SwidenLow),
        O::I32x4ExtendHighI16x8S => l::unary(b, st, I16X8, Op::SwidenHigh),
        O::I32x4ExtendLowI16x8U => l::unary(b, st, I16X8, Op::UwidenLow),
        O::I32x4ExtendHighI16x8U => l::unary(b, st, I16X8, Op::UwidenHigh),
        O::I64x2ExtendLowI32x4S => l::unary(b, st, I32X4, Op::SwidenLow),
        O::I64x2ExtendHighI32x4S => l::unary(b, st, I32X4, Op::SwidenHigh),
        O::I64x2ExtendLowI32x4U => l::unary(b, st, I32X4, Op::UwidenLow),
        O::I64x2ExtendHighI32x4U => l::unary(b, st, I32X4, Op::UwidenHigh),
        O::I16x8ExtAddPairwiseI8x16S => ext_add_pairwise(b, st, I8X16, true),
        O::I16x8ExtAddPairwiseI8x16U => ext_add_pairwise(b, st, I8X16, false),
        O::I32x4ExtAddPairwiseI16x8S => ext_add_pairwise(b, st, I16X8, true),
        O::I32x4ExtAddPairwiseI16x8U => ext_add_pairwise(b, st, I16X8, false),
        O::I16x8ExtMulLowI8x16S => ext_mul(b, st, I8X16, true, false),
        O::I16x8ExtMulHighI8x16S => ext_mul(b, st, I8X16, true, true),
        O::I16x8ExtMulLowI8x16U => ext_mul(b, st, I8X16, false, false),
        O::I16x8ExtMulHighI8x16U => ext_mul(b, st, I8X16, false, true),
        O::I32x4ExtMulLowI16x8S => ext_mul(b, st, I16X8, true, false),
        O::I32x4ExtMulHighI16x8S => ext_mul(b, st, I16X8, true, true),
        O::I32x4ExtMulLowI16x8U => ext_mul(b, st, I16X8, false, false),
        O::I32x4ExtMulHighI16x8U => ext_mul(b, st, I16X8, false, true),
        O::I64x2ExtMulLowI32x4S => ext_mul(b, st, I32X4, true, false),
        O::I64x2ExtMulHighI32x4S => ext_mul(b, st, I32X4, true, true),
        O::I64x2ExtMulLowI32x4U => ext_mul(b, st, I32X4, false, false),
        O::I64x2ExtMulHighI32x4U => ext_mul(b, st, I32X4, false, true),
        O::I32x4DotI16x8S => dot(b, st),

        // Float arithmetic.
        O::F32x4Ceil => l::unary(b, st, F32X4, Op::Ceil),
        O::F64x2Ceil => l::unary(b, st, F64X2, Op::Ceil),
        O::F32x4Floor => l::unary(b, st, F32X4, Op::Floor),
        O::F64x2Floor => l::unary(b, st, F64X2, Op::Floor),
        O::F32x4Trunc => l::unary(b, st, F32X4, Op::Trunc),
        O::F64x2Trunc => l::unary(b, st, F64X2, Op::Trunc),
        O::F32x4Nearest => l::unary(b, st, F32X4, Op::Nearest),
        O::F64x2Nearest => l::unary(b, st, F64X2, Op::Nearest),
        O::F32x4Abs => l::unary(b, st, F32X4, Op::Fabs),
        O::F64x2Abs => l::unary(b, st, F64X2, Op::Fabs),
        O::F32x4Neg => l::unary(b, st, F32X4, Op::Fneg),
        O::F64x2Neg => l::unary(b, st, F64X2, Op::Fneg),
        O::F32x4Sqrt => l::unary(b, st, F32X4, Op::Sqrt),
        O::F64x2Sqrt => l::unary(b, st, F64X2, Op::Sqrt),
        O::F32x4Add => l::binary(b, st, F32X4, Op::Fadd),
        O::F64x2Add => l::binary(b, st, F64X2, Op::Fadd),
        O::F32x4Sub => l::binary(b, st, F32X4, Op::Fsub),
        O::F64x2Sub => l::binary(b, st, F64X2, Op::Fsub),
        O::F32x4Mul => l::binary(b, st, F32X4, Op::Fmul),
        O::F64x2Mul => l::binary(b, st, F64X2, Op::Fmul),
        O::F32x4Div => l::binary(b, st, F32X4, Op::Fdiv),
        O::F64x2Div => l::binary(b, st, F64X2, Op::Fdiv),
        O::F32x4Min => l::binary(b, st, F32X4, Op::Fmin),
        O::F64x2Min => l::binary(b, st, F64X2, Op::Fmin),
        O::F32x4Max => l::binary(b, st, F32X4, Op::Fmax),
        O::F64x2Max => l::binary(b, st, F64X2, Op::Fmax),
        O::F32x4PMin => l::pseudo_min_max(b, st, F32X4, false),
        O::F64x2PMin => l::pseudo_min_max(b, st, F64X2, false),
        O::F32x4PMax => l::pseudo_min_max(b, st, F32X4, true),
        O::F64x2PMax => l::pseudo_min_max(b, st, F64X2, true),

        // Conversions.
        O::I32x4TruncSatF32x4S => {
            let x = pop(b, st, F32X4);
            let v = b.ins().fcvt_to_sint_sat(I32X4, x);
            push(b, st, v);
        }
        O::I32x4TruncSatF32x4U => {
            let x = pop(b, st, F32X4);
            let v = b.ins().fcvt_to_uint_sat(I32X4, x);
            push(b, st, v);
        }
        O::I32x4TruncSatF64x2SZero => {
            let x = pop(b, st, F64X2);
            let wide = b.ins().fcvt_to_sint_sat(I64X2, x);
            let zero = l::vconst(b, I64X2, [0; 16]);
            let v = b.ins().snarrow(wide, zero);
            push(b, st, v);
        }
        O::I32x4TruncSatF64x2UZero => {
            let x = pop(b, st, F64X2);
            let wide = b.ins().fcvt_to_uint_sat(I64X2, x);
            let zero = l::vconst(b, I64X2, [0; 16]);
            let v = b.ins().uunarrow(wide, zero);
            push(b, st, v);
        }
        O::F32x4ConvertI32x4S => {
            let x = pop(b, st, I32X4);
            let v = b.ins().fcvt_from_sint(F32X4, x);
            push(b, st, v);
        }
        O::F32x4ConvertI32x4U => {
            let x = pop(b, st, I32X4);
            let v = b.ins().fcvt_from_uint(F32X4, x);
            push(b, st, v);
        }
        O::F64x2ConvertLowI32x4S => {
            let x = pop(b, st, I32X4);
            let wide = b.ins().swiden_low(x);
            let v = b.ins().fcvt_from_sint(F64X2, wide);
            push(b, st, v);
        }
        O::F64x2ConvertLowI32x4U => {
            let x = pop(b, st, I32X4);
            let wide = b.ins().uwiden_low(x);
            let v = b.ins().fcvt_from_uint(F64X2, wide);
            push(b, st, v);
        }
        O::F32x4DemoteF64x2Zero => {
            let x = pop(b, st, F64X2);
            let v = b.ins().fvdemote(x);
            push(b, st, v);
        }
        O::F64x2PromoteLowF32x4 => {
            let x = pop(b, st, F32X4);
            let v = b.ins().fvpromote_low(x);
            push(b, st, v);
        }

        ref other => {
            return Err(Error::new(ErrorKind::Unsupported, off, alloc::format!("unsupported operator {other:?}")));
        }
    }
    Ok(())
}

/// `narrow_{s,u}`: two vectors of `from` lanes into one of half-width lanes, saturating (the
/// inputs are signed either way).
fn narrow(b: &mut FunctionBuilder, st: &mut State, from: Type, signed: bool) {
    let (x, y) = pop2(b, st, from);
    let v = if signed { b.ins().snarrow(x, y) } else { b.ins().unarrow(x, y) };
    push(b, st, v);
}

fn widen(b: &mut FunctionBuilder, x: Value, signed: bool, high: bool) -> Value {
    match (signed, high) {
        (true, false) => b.ins().swiden_low(x),
        (true, true) => b.ins().swiden_high(x),
        (false, false) => b.ins().uwiden_low(x),
        (false, true) => b.ins().uwiden_high(x),
    }
}

/// `extadd_pairwise`: adjacent `from` lanes, widened, summed.
fn ext_add_pairwise(b: &mut FunctionBuilder, st: &mut State, from: Type, signed: bool) {
    let x = pop(b, st, from);
    let lo = widen(b, x, signed, false);
    let hi = widen(b, x, signed, true);
    let v = b.ins().iadd_pairwise(lo, hi);
    push(b, st, v);
}

/// `extmul_{low,high}`: the low or high half of both operands' `from` lanes, widened, multiplied.
fn ext_mul(b: &mut FunctionBuilder, st: &mut State, from: Type, signed: bool, high: bool) {
    let (x, y) = pop2(b, st, from);
    let x = widen(b, x, signed, high);
    let y = widen(b, y, signed, high);
    let v = b.ins().imul(x, y);
    push(b, st, v);
}

/// `i32x4.dot_i16x8_s`: products of signed 16-bit lanes, adjacent pairs summed (`pmaddwd`).
fn dot(b: &mut FunctionBuilder, st: &mut State) {
    let (x, y) = pop2(b, st, I16X8);
    let (xl, yl) = (widen(b, x, true, false), widen(b, y, true, false));
    let lo = b.ins().imul(xl, yl);
    let (xh, yh) = (widen(b, x, true, true), widen(b, y, true, true));
    let hi = b.ins().imul(xh, yh);
    let v = b.ins().iadd_pairwise(lo, hi);
    push(b, st, v);
}

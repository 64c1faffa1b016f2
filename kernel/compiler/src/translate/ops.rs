//! The operator match: one flat arm per Wasm operator, each delegating to its concern's module.

use super::func::Translator;
use super::memory::Ext;
use super::{calls, control, memory, numeric as n, simd, tables, variables};
use crate::error::Result;
use cranelift_codegen::ir::Opcode as Op;
use cranelift_codegen::ir::condcodes::{FloatCC as F, IntCC as I};
use cranelift_codegen::ir::types::{F32, F64, I8, I16, I32, I64};
use wasmparser::Operator as O;

/// Translates one operator at Wasm byte offset `off`.
pub fn translate(t: &mut Translator, op: &O, off: u64) -> Result<()> {
    let (env, b, st) = (&mut t.env, &mut t.builder, &mut t.state);
    if !st.reachable {
        match op {
            O::Block { .. } | O::Loop { .. } | O::If { .. } => st.unreachable_depth += 1,
            O::Else => control::else_(b, st),
            O::End => t.finished = control::end(b, st).filter(|_| st.frames.is_empty()),
            _ => {}
        }
        return Ok(());
    }
    match *op {
        // Control flow.
        O::Unreachable => control::unreachable(b, st),
        O::Nop => {}
        O::Block { blockty } => control::block(env, b, st, blockty, off)?,
        O::Loop { blockty } => control::loop_(env, b, st, blockty, off)?,
        O::If { blockty } => control::if_(env, b, st, blockty, off)?,
        O::Else => control::else_(b, st),
        O::End => t.finished = control::end(b, st).filter(|_| st.frames.is_empty()),
        O::Br { relative_depth } => control::br(b, st, relative_depth),
        O::BrIf { relative_depth } => control::br_if(b, st, relative_depth),
        O::BrTable { ref targets } => {
            let list = targets.targets().collect::<core::result::Result<alloc::vec::Vec<u32>, _>>()?;
            control::br_table(b, st, &list, targets.default());
        }
        O::Return => control::return_(b, st),
        O::Call { function_index } => calls::call(env, b, st, function_index),
        O::CallIndirect { type_index, table_index } => calls::call_indirect(env, b, st, type_index, table_index),
        O::Drop => {
            st.pop();
        }
        O::Select | O::TypedSelect { .. } => n::select(b, st),

        // Variables.
        O::LocalGet { local_index } => t.locals.get(b, st, local_index),
        O::LocalSet { local_index } => t.locals.set(b, st, local_index),
        O::LocalTee { local_index } => t.locals.tee(b, st, local_index),
        O::GlobalGet { global_index } => variables::global_get(env, b, st, global_index),
        O::GlobalSet { global_index } => variables::global_set(env, b, st, global_index),

        // Memory.
        O::I32Load { ref memarg } => memory::load(env, b, st, memarg, I32, 32, Ext::None),
        O::I64Load { ref memarg } => memory::load(env, b, st, memarg, I64, 64, Ext::None),
        O::F32Load { ref memarg } => memory::load(env, b, st, memarg, F32, 32, Ext::None),
        O::F64Load { ref memarg } => memory::load(env, b, st, memarg, F64, 64, Ext::None),
        O::I32Load8S { ref memarg } => memory::load(env, b, st, memarg, I32, 8, Ext::Sign),
        O::I32Load8U { ref memarg } => memory::load(env, b, st, memarg, I32, 8, Ext::Zero),
        O::I32Load16S { ref memarg } => memory::load(env, b, st, memarg, I32, 16, Ext::Sign),
        O::I32Load16U { ref memarg } => memory::load(env, b, st, memarg, I32, 16, Ext::Zero),
        O::I64Load8S { ref memarg } => memory::load(env, b, st, memarg, I64, 8, Ext::Sign),
        O::I64Load8U { ref memarg } => memory::load(env, b, st, memarg, I64, 8, Ext::Zero),
        O::I64Load16S { ref memarg } => memory::load(env, b, st, memarg, I64, 16, Ext::Sign),
        O::I64Load16U { ref memarg } => memory::load(env, b, st, memarg, I64, 16, Ext::Zero),
        O::I64Load32S { ref memarg } => memory::load(env, b, st, memarg, I64, 32, Ext::Sign),
        O::I64Load32U { ref memarg } => memory::load(env, b, st, memarg, I64, 32, Ext::Zero),
        O::I32Store { ref memarg } | O::F32Store { ref memarg } => memory::store(env, b, st, memarg, 32),
        O::I64Store { ref memarg } | O::F64Store { ref memarg } => memory::store(env, b, st, memarg, 64),
        O::I32Store8 { ref memarg } | O::I64Store8 { ref memarg } => memory::store(env, b, st, memarg, 8),
        O::I32Store16 { ref memarg } | O::I64Store16 { ref memarg } => memory::store(env, b, st, memarg, 16),
        O::I64Store32 { ref memarg } => memory::store(env, b, st, memarg, 32),
        O::MemorySize { .. } => memory::size(env, b, st),
        O::MemoryGrow { .. } => memory::grow(env, b, st),
        O::MemoryFill { .. } => memory::fill(env, b, st),
        O::MemoryCopy { .. } => memory::copy(env, b, st),
        O::MemoryInit { data_index, .. } => memory::init(env, b, st, data_index),
        O::DataDrop { data_index } => memory::data_drop(env, b, data_index),

        // Tables and references.
        O::TableGet { table } => tables::get(env, b, st, table),
        O::TableSet { table } => tables::set(env, b, st, table),
        O::TableSize { table } => tables::size(env, b, st, table),
        O::TableGrow { table } => tables::grow(env, b, st, table),
        O::TableFill { table } => tables::fill(env, b, st, table),
        O::TableCopy { dst_table, src_table } => tables::copy(env, b, st, dst_table, src_table),
        O::TableInit { elem_index, table } => tables::init(env, b, st, table, elem_index),
        O::ElemDrop { elem_index } => tables::elem_drop(env, b, elem_index),
        O::RefNull { .. } => tables::ref_null(b, st),
        O::RefIsNull => tables::ref_is_null(b, st),
        O::RefFunc { function_index } => tables::ref_func(env, b, st, function_index),

        // Constants.
        O::I32Const { value } => n::const_i(b, st, I32, i64::from(value)),
        O::I64Const { value } => n::const_i(b, st, I64, value),
        O::F32Const { value } => n::const_f32(b, st, value.bits()),
        O::F64Const { value } => n::const_f64(b, st, value.bits()),

        // Integer comparisons.
        O::I32Eqz | O::I64Eqz => n::eqz(b, st),
        O::I32Eq | O::I64Eq => n::icmp(b, st, I::Equal),
        O::I32Ne | O::I64Ne => n::icmp(b, st, I::NotEqual),
        O::I32LtS | O::I64LtS => n::icmp(b, st, I::SignedLessThan),
        O::I32LtU | O::I64LtU => n::icmp(b, st, I::UnsignedLessThan),
        O::I32GtS | O::I64GtS => n::icmp(b, st, I::SignedGreaterThan),
        O::I32GtU | O::I64GtU => n::icmp(b, st, I::UnsignedGreaterThan),
        O::I32LeS | O::I64LeS => n::icmp(b, st, I::SignedLessThanOrEqual),
        O::I32LeU | O::I64LeU => n::icmp(b, st, I::UnsignedLessThanOrEqual),
        O::I32GeS | O::I64GeS => n::icmp(b, st, I::SignedGreaterThanOrEqual),
        O::I32GeU | O::I64GeU => n::icmp(b, st, I::UnsignedGreaterThanOrEqual),

        // Float comparisons.
        O::F32Eq | O::F64Eq => n::fcmp(b, st, F::Equal),
        O::F32Ne | O::F64Ne => n::fcmp(b, st, F::NotEqual),
        O::F32Lt | O::F64Lt => n::fcmp(b, st, F::LessThan),
        O::F32Gt | O::F64Gt => n::fcmp(b, st, F::GreaterThan),
        O::F32Le | O::F64Le => n::fcmp(b, st, F::LessThanOrEqual),
        O::F32Ge | O::F64Ge => n::fcmp(b, st, F::GreaterThanOrEqual),

        // Integer arithmetic.
        O::I32Clz | O::I64Clz => n::unary(b, st, Op::Clz),
        O::I32Ctz | O::I64Ctz => n::unary(b, st, Op::Ctz),
        O::I32Popcnt | O::I64Popcnt => n::unary(b, st, Op::Popcnt),
        O::I32Add | O::I64Add => n::binary(b, st, Op::Iadd),
        O::I32Sub | O::I64Sub => n::binary(b, st, Op::Isub),
        O::I32Mul | O::I64Mul => n::binary(b, st, Op::Imul),
        O::I32DivS | O::I64DivS => n::div_rem(b, st, true, false),
        O::I32DivU | O::I64DivU => n::div_rem(b, st, false, false),
        O::I32RemS | O::I64RemS => n::div_rem(b, st, true, true),
        O::I32RemU | O::I64RemU => n::div_rem(b, st, false, true),
        O::I32And | O::I64And => n::binary(b, st, Op::Band),
        O::I32Or | O::I64Or => n::binary(b, st, Op::Bor),
        O::I32Xor | O::I64Xor => n::binary(b, st, Op::Bxor),
        O::I32Shl | O::I64Shl => n::binary(b, st, Op::Ishl),
        O::I32ShrS | O::I64ShrS => n::binary(b, st, Op::Sshr),
        O::I32ShrU | O::I64ShrU => n::binary(b, st, Op::Ushr),
        O::I32Rotl | O::I64Rotl => n::binary(b, st, Op::Rotl),
        O::I32Rotr | O::I64Rotr => n::binary(b, st, Op::Rotr),
        O::I32Extend8S | O::I64Extend8S => n::extend_in_place(b, st, I8),
        O::I32Extend16S | O::I64Extend16S => n::extend_in_place(b, st, I16),
        O::I64Extend32S => n::extend_in_place(b, st, I32),

        // Float arithmetic.
        O::F32Abs | O::F64Abs => n::unary(b, st, Op::Fabs),
        O::F32Neg | O::F64Neg => n::unary(b, st, Op::Fneg),
        O::F32Ceil | O::F64Ceil => n::unary(b, st, Op::Ceil),
        O::F32Floor | O::F64Floor => n::unary(b, st, Op::Floor),
        O::F32Trunc | O::F64Trunc => n::unary(b, st, Op::Trunc),
        O::F32Nearest | O::F64Nearest => n::unary(b, st, Op::Nearest),
        O::F32Sqrt | O::F64Sqrt => n::unary(b, st, Op::Sqrt),
        O::F32Add | O::F64Add => n::binary(b, st, Op::Fadd),
        O::F32Sub | O::F64Sub => n::binary(b, st, Op::Fsub),
        O::F32Mul | O::F64Mul => n::binary(b, st, Op::Fmul),
        O::F32Div | O::F64Div => n::binary(b, st, Op::Fdiv),
        O::F32Min | O::F64Min => n::binary(b, st, Op::Fmin),
        O::F32Max | O::F64Max => n::binary(b, st, Op::Fmax),
        O::F32Copysign | O::F64Copysign => n::binary(b, st, Op::Fcopysign),

        // Conversions.
        O::I32WrapI64 => n::convert(b, st, Op::Ireduce, I32),
        O::I64ExtendI32S => n::convert(b, st, Op::Sextend, I64),
        O::I64ExtendI32U => n::convert(b, st, Op::Uextend, I64),
        O::I32TruncF32S | O::I32TruncF64S => n::convert(b, st, Op::FcvtToSint, I32),
        O::I32TruncF32U | O::I32TruncF64U => n::convert(b, st, Op::FcvtToUint, I32),
        O::I64TruncF32S | O::I64TruncF64S => n::convert(b, st, Op::FcvtToSint, I64),
        O::I64TruncF32U | O::I64TruncF64U => n::convert(b, st, Op::FcvtToUint, I64),
        O::I32TruncSatF32S | O::I32TruncSatF64S => n::convert(b, st, Op::FcvtToSintSat, I32),
        O::I32TruncSatF32U | O::I32TruncSatF64U => n::convert(b, st, Op::FcvtToUintSat, I32),
        O::I64TruncSatF32S | O::I64TruncSatF64S => n::convert(b, st, Op::FcvtToSintSat, I64),
        O::I64TruncSatF32U | O::I64TruncSatF64U => n::convert(b, st, Op::FcvtToUintSat, I64),
        O::F32ConvertI32S | O::F32ConvertI64S => n::convert(b, st, Op::FcvtFromSint, F32),
        O::F32ConvertI32U | O::F32ConvertI64U => n::convert(b, st, Op::FcvtFromUint, F32),
        O::F64ConvertI32S | O::F64ConvertI64S => n::convert(b, st, Op::FcvtFromSint, F64),
        O::F64ConvertI32U | O::F64ConvertI64U => n::convert(b, st, Op::FcvtFromUint, F64),
        O::F32DemoteF64 => n::convert(b, st, Op::Fdemote, F32),
        O::F64PromoteF32 => n::convert(b, st, Op::Fpromote, F64),
        O::I32ReinterpretF32 => n::reinterpret(b, st, I32),
        O::I64ReinterpretF64 => n::reinterpret(b, st, I64),
        O::F32ReinterpretI32 => n::reinterpret(b, st, F32),
        O::F64ReinterpretI64 => n::reinterpret(b, st, F64),

        // SIMD (and the unsupported rest): `simd.rs`.
        ref other => return simd::translate(t, other, off),
    }
    Ok(())
}

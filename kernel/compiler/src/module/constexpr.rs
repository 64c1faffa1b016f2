//! Constant expressions (global initialisers, segment offsets, element items) as a tiny op list.

use crate::error::{Error, ErrorKind, Result};
use alloc::vec::Vec;
use wasmparser::Operator;

/// One operator of a constant expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    /// `v128.const`, little-endian (lane 0 in the low bits).
    V128(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A validated constant expression, evaluated by the embedder at instantiation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ConstExpr {
    pub ops: Vec<ConstOp>,
}

impl ConstExpr {
    pub(crate) fn parse(expr: &wasmparser::ConstExpr<'_>) -> Result<Self> {
        let mut reader = expr.get_operators_reader();
        let mut ops = Vec::new();
        loop {
            let offset = reader.original_position();
            let op = match reader.read()? {
                Operator::End => break,
                Operator::I32Const { value } => ConstOp::I32(value),
                Operator::I64Const { value } => ConstOp::I64(value),
                Operator::F32Const { value } => ConstOp::F32(value.bits()),
                Operator::F64Const { value } => ConstOp::F64(value.bits()),
                Operator::V128Const { value } => ConstOp::V128(u128::from_le_bytes(*value.bytes())),
                Operator::RefNull { .. } => ConstOp::RefNull,
                Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                Operator::I32Add => ConstOp::I32Add,
                Operator::I32Sub => ConstOp::I32Sub,
                Operator::I32Mul => ConstOp::I32Mul,
                Operator::I64Add => ConstOp::I64Add,
                Operator::I64Sub => ConstOp::I64Sub,
                Operator::I64Mul => ConstOp::I64Mul,
                other => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        offset,
                        alloc::format!("unsupported constant expression operator {other:?}"),
                    ));
                }
            };
            ops.push(op);
        }
        Ok(ConstExpr { ops })
    }

    /// Evaluates the expression over 64-bit raw values (i32 as zero-extended bits, floats as
    /// bits, references as the embedder's encoding). `global` and `func_ref` supply the values
    /// of globals and `ref.func`; `null` is the encoding of a null reference. For expressions
    /// of every type but `v128` (whose value is [`ConstExpr::eval_wide`]'s).
    pub fn eval(&self, global: &dyn Fn(u32) -> u64, func_ref: &dyn Fn(u32) -> u64) -> u64 {
        self.eval_wide(&|g| u128::from(global(g)), func_ref) as u64
    }

    /// [`ConstExpr::eval`] over 128-bit raw values: a `v128` as its little-endian bits, every
    /// other type zero-extended from its 64-bit encoding.
    pub fn eval_wide(&self, global: &dyn Fn(u32) -> u128, func_ref: &dyn Fn(u32) -> u64) -> u128 {
        let mut stack: Vec<u128> = Vec::new();
        for op in &self.ops {
            let v = match *op {
                ConstOp::I32(v) => u128::from(v as u32),
                ConstOp::I64(v) => u128::from(v as u64),
                ConstOp::F32(b) => u128::from(b),
                ConstOp::F64(b) => u128::from(b),
                ConstOp::V128(b) => b,
                ConstOp::RefNull => 0,
                ConstOp::RefFunc(f) => u128::from(func_ref(f)),
                ConstOp::GlobalGet(g) => global(g),
                bin => {
                    let b = stack.pop().unwrap_or(0) as u64;
                    let a = stack.pop().unwrap_or(0) as u64;
                    u128::from(match bin {
                        ConstOp::I32Add => u64::from((a as u32).wrapping_add(b as u32)),
                        ConstOp::I32Sub => u64::from((a as u32).wrapping_sub(b as u32)),
                        ConstOp::I32Mul => u64::from((a as u32).wrapping_mul(b as u32)),
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    })
                }
            };
            stack.push(v);
        }
        stack.pop().unwrap_or(0)
    }
}

//! Seeded random arguments: mostly the edge values where engines differ (0, ±1, extremes,
//! signed zeros, infinities, NaNs, subnormals), sometimes any bits.

use crate::trace::Value;
use hayabusa_compiler::ValType;

/// A xorshift64* generator: the same seed gives the same arguments on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const I32S: &[i32] = &[0, 1, -1, 2, 7, 8, 16, 31, 32, 255, 256, 65535, 65536, i32::MIN, i32::MAX, i32::MIN + 1];
const I64S: &[i64] = &[0, 1, -1, 2, 63, 64, 65536, 1 << 32, i64::MIN, i64::MAX, i32::MIN as i64, u32::MAX as i64];
const F32S: &[u32] = &[
    0, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0xffc0_0000, 0x7fa0_0001,
    0x0000_0001, 0x7f7f_ffff, 0x4f00_0000, 0xcf00_0000, 0x5f00_0000, 0x3f00_0000,
];
const F64S: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0xbff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0x7ff4_0000_0000_0001,
    0x0000_0000_0000_0001,
    0x7fef_ffff_ffff_ffff,
    0x41e0_0000_0000_0000,
    0xc1e0_0000_0000_0000,
    0x43e0_0000_0000_0000,
    0x3fe0_0000_0000_0000,
];

/// A `v128`: any bits, or lanes of one width that are each an edge value of that width (the
/// edge floats among them).
fn v128(rng: &mut Rng, any: bool) -> Value {
    if any {
        return Value::V128(u128::from(rng.next()) << 64 | u128::from(rng.next()));
    }
    let mut bits = 0u128;
    match rng.next() % 4 {
        0 => (0..4).for_each(|i| bits |= u128::from(rng.pick(I32S) as u32) << (32 * i)),
        1 => (0..2).for_each(|i| bits |= u128::from(rng.pick(I64S) as u64) << (64 * i)),
        2 => (0..4).for_each(|i| bits |= u128::from(rng.pick(F32S)) << (32 * i)),
        _ => (0..2).for_each(|i| bits |= u128::from(rng.pick(F64S)) << (64 * i)),
    }
    Value::V128(bits)
}

/// One argument of type `ty`. References are always null: neither engine can make the other's.
pub fn arg(rng: &mut Rng, ty: ValType) -> Value {
    let any = rng.next() % 3 == 0;
    match ty {
        ValType::I32 if any => Value::I32(rng.next() as i32),
        ValType::I32 => Value::I32(rng.pick(I32S)),
        ValType::I64 if any => Value::I64(rng.next() as i64),
        ValType::I64 => Value::I64(rng.pick(I64S)),
        ValType::F32 if any => Value::F32(rng.next() as u32),
        ValType::F32 => Value::F32(rng.pick(F32S)),
        ValType::F64 if any => Value::F64(rng.next()),
        ValType::F64 => Value::F64(rng.pick(F64S)),
        ValType::FuncRef => Value::FuncRef { null: true },
        ValType::ExternRef => Value::ExternRef { null: true },
        ValType::V128 => v128(rng, any),
    }
}

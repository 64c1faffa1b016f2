//! Canonical ids for function signatures, shared by every instance of the process (or kernel),
//! so `call_indirect` can compare types across modules with one integer comparison.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use hayabusa_compiler::{Sig, ValType};
use spin::mutex::SpinMutex;

/// Signature (encoded by [`key`]) to id. Only taken while instantiating, never by compiled code.
static IDS: SpinMutex<BTreeMap<Vec<u8>, u32>> = SpinMutex::new(BTreeMap::new());

fn code(t: ValType) -> u8 {
    match t {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
        ValType::FuncRef => 4,
        ValType::ExternRef => 5,
        ValType::V128 => 6,
    }
}

/// An ordered encoding of a signature: parameter codes, a separator, result codes.
fn key(sig: &Sig) -> Vec<u8> {
    let mut k: Vec<u8> = sig.params.iter().map(|t| code(*t)).collect();
    k.push(u8::MAX);
    k.extend(sig.results.iter().map(|t| code(*t)));
    k
}

/// The canonical id of `sig` (ids start at 1; 0 is never used).
pub fn canonical_id(sig: &Sig) -> u32 {
    let mut map = IDS.lock();
    let next = map.len() as u32 + 1;
    *map.entry(key(sig)).or_insert(next)
}

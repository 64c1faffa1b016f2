//! Canonical ids for function signatures, shared by every instance of the process (or kernel),
//! so `call_indirect` can compare types across modules with one integer comparison.
//!
//! Typed function references name module types (`(ref $t)`): a module's signatures are
//! *canonicalised* before they leave the instance (exported functions, tables, globals), with
//! every type index replaced by the canonical id of the signature it names, so types from two
//! modules compare with `==` (and [`ValType::matches`]).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use hayabusa_compiler::{HeapType, Sig, ValType};
use spin::mutex::SpinMutex;

/// Signature (encoded by [`key`]) to id. Only taken while instantiating, never by compiled code.
static IDS: SpinMutex<BTreeMap<Vec<u8>, u32>> = SpinMutex::new(BTreeMap::new());

/// Where the `Type(i)` of a signature point: module type indices, or canonical ids already.
#[derive(Clone, Copy)]
pub enum Space<'a> {
    Module(&'a [Sig]),
    Canonical,
}

fn push_u32(k: &mut Vec<u8>, v: u32) {
    k.extend_from_slice(&v.to_le_bytes());
}

fn encode(k: &mut Vec<u8>, t: ValType, space: Space<'_>, open: &mut Vec<u32>) {
    let (nullable, heap) = match t {
        ValType::I32 => return k.push(0),
        ValType::I64 => return k.push(1),
        ValType::F32 => return k.push(2),
        ValType::F64 => return k.push(3),
        ValType::FuncRef => return k.push(4),
        ValType::ExternRef => return k.push(5),
        ValType::V128 => return k.push(8),
        ValType::Ref(r) => (r.nullable, r.heap),
    };
    k.push(if nullable { 6 } else { 7 });
    match (heap, space) {
        (HeapType::Func, _) => k.push(0),
        (HeapType::Extern, _) => k.push(1),
        (HeapType::Type(id), Space::Canonical) => {
            k.push(2);
            push_u32(k, id);
        }
        (HeapType::Type(i), Space::Module(types)) => {
            if let Some(depth) = open.iter().rev().position(|o| *o == i) {
                // A type that refers to itself (or to one being encoded around it).
                k.push(3);
                push_u32(k, depth as u32);
            } else {
                k.push(2);
                let id = match types.get(i as usize) {
                    Some(sig) => {
                        open.push(i);
                        let id = id_of(key_in(sig, space, open));
                        open.pop();
                        id
                    }
                    None => 0,
                };
                push_u32(k, id);
            }
        }
    }
}

fn key_in(sig: &Sig, space: Space<'_>, open: &mut Vec<u32>) -> Vec<u8> {
    let mut k = Vec::new();
    for t in &sig.params {
        encode(&mut k, *t, space, open);
    }
    k.push(u8::MAX);
    for t in &sig.results {
        encode(&mut k, *t, space, open);
    }
    k
}

fn id_of(key: Vec<u8>) -> u32 {
    let mut map = IDS.lock();
    let next = map.len() as u32 + 1;
    *map.entry(key).or_insert(next)
}

/// The canonical id of `sig`, whose type indices are in `space` (ids start at 1; 0 is never
/// used).
pub fn canonical_id(sig: &Sig, space: Space<'_>) -> u32 {
    id_of(key_in(sig, space, &mut Vec::new()))
}

/// `t` with a module type index replaced by the canonical id of that type.
pub fn canonical_val(t: ValType, types: &[Sig]) -> ValType {
    match t {
        ValType::Ref(mut r) => {
            if let HeapType::Type(i) = r.heap {
                let id = types.get(i as usize).map_or(0, |s| canonical_id(s, Space::Module(types)));
                r.heap = HeapType::Type(id);
            }
            ValType::Ref(r)
        }
        other => other,
    }
}

/// `sig` with every module type index replaced by its canonical id.
pub fn canonical_sig(sig: &Sig, types: &[Sig]) -> Sig {
    Sig {
        params: sig.params.iter().map(|t| canonical_val(*t, types)).collect(),
        results: sig.results.iter().map(|t| canonical_val(*t, types)).collect(),
    }
}

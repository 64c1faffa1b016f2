//! Process-wide canonical ids for function signatures, so `call_indirect` can compare types
//! across modules with one integer comparison.

use hayabusa_compiler::Sig;
use std::collections::HashMap;
use std::sync::Mutex;

static IDS: Mutex<Option<HashMap<Sig, u32>>> = Mutex::new(None);

/// The canonical id of `sig` (ids start at 1; 0 is never used).
pub fn canonical_id(sig: &Sig) -> u32 {
    let mut guard = IDS.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    let next = map.len() as u32 + 1;
    *map.entry(sig.clone()).or_insert(next)
}

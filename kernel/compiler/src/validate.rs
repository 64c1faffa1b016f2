//! Validation with wasmparser: the supported feature set, and naming the feature a module lacks.

use crate::error::{Error, ErrorKind, Result};
use wasmparser::{Validator, WasmFeatures};

/// What this compiler implements: WebAssembly 2.0 (fixed-width SIMD included), plus extended
/// constant expressions (cheap to evaluate, used by real toolchains).
pub fn supported_features() -> WasmFeatures {
    WasmFeatures::WASM2 | WasmFeatures::EXTENDED_CONST
}

/// Proposals we reject, with the name used in "unsupported feature X" errors. Checked in order;
/// each entry lists the flags that must be added together for the proposal to validate.
const PROPOSALS: &[(&str, WasmFeatures)] = &[
    ("relaxed-simd", WasmFeatures::SIMD.union(WasmFeatures::RELAXED_SIMD)),
    ("threads", WasmFeatures::THREADS),
    ("tail-call", WasmFeatures::TAIL_CALL),
    ("multi-memory", WasmFeatures::MULTI_MEMORY),
    ("memory64", WasmFeatures::MEMORY64),
    ("exceptions", WasmFeatures::EXCEPTIONS),
    ("function-references", WasmFeatures::FUNCTION_REFERENCES),
    ("function-references+tail-call", WasmFeatures::FUNCTION_REFERENCES.union(WasmFeatures::TAIL_CALL)),
    ("gc", WasmFeatures::GC.union(WasmFeatures::FUNCTION_REFERENCES)),
    ("wide-arithmetic", WasmFeatures::WIDE_ARITHMETIC),
    ("custom-page-sizes", WasmFeatures::CUSTOM_PAGE_SIZES),
    ("memory64+multi-memory", WasmFeatures::MEMORY64.union(WasmFeatures::MULTI_MEMORY)),
    ("exceptions+gc", WasmFeatures::EXCEPTIONS.union(WasmFeatures::GC).union(WasmFeatures::FUNCTION_REFERENCES)),
];

fn validates(bytes: &[u8], features: WasmFeatures) -> bool {
    Validator::new_with_features(features).validate_all(bytes).is_ok()
}

/// Validates `bytes` with every check on. An invalid module is an [`ErrorKind::Invalid`] error
/// naming wasmparser's message and offset; a valid module that needs a proposal outside
/// [`supported_features`] is an [`ErrorKind::Unsupported`] error naming that proposal.
pub fn validate(bytes: &[u8]) -> Result<()> {
    let err = match Validator::new_with_features(supported_features()).validate_all(bytes) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let base = supported_features();
    if validates(bytes, WasmFeatures::all()) {
        for (name, extra) in PROPOSALS {
            if validates(bytes, base | *extra) {
                return Err(Error::unsupported(err.offset(), name));
            }
        }
        return Err(Error::new(
            ErrorKind::Unsupported,
            err.offset(),
            alloc::format!("unsupported feature combination ({})", err.message()),
        ));
    }
    Err(err.into())
}

//! Validation with wasmparser: the supported feature set, and naming the feature a module lacks.

use crate::error::{Error, ErrorKind, Result};
use wasmparser::{Validator, WasmFeatures};

/// What this compiler implements: WebAssembly 2.0 (fixed-width SIMD included), plus extended
/// constant expressions (cheap to evaluate, used by real toolchains), plus the Wasm 3.0 features
/// below.
pub fn supported_features() -> WasmFeatures {
    WasmFeatures::WASM2 | WasmFeatures::EXTENDED_CONST | WASM3_SUPPORTED
}

/// The Wasm 3.0 proposals implemented so far (issue 12 item 2).
const WASM3_SUPPORTED: WasmFeatures =
    WasmFeatures::TAIL_CALL.union(WasmFeatures::FUNCTION_REFERENCES).union(WasmFeatures::MULTI_MEMORY);

/// Proposals we reject, with the name used in "unsupported feature X" errors. Checked in order;
/// each entry lists the flags that must be added together for the proposal to validate.
const PROPOSALS: &[(&str, WasmFeatures)] = &[
    ("relaxed-simd", WasmFeatures::SIMD.union(WasmFeatures::RELAXED_SIMD)),
    ("threads", WasmFeatures::THREADS),
    ("memory64", WasmFeatures::MEMORY64),
    ("exceptions", WasmFeatures::EXCEPTIONS),
    ("gc", WasmFeatures::GC.union(WasmFeatures::FUNCTION_REFERENCES)),
    ("wide-arithmetic", WasmFeatures::WIDE_ARITHMETIC),
    ("custom-page-sizes", WasmFeatures::CUSTOM_PAGE_SIZES),
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

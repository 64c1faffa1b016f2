//! What the tests check about a module: valid for the kernel's feature set, its imports and exports.

use wasmparser::types::EntityType;
use wasmparser::{Validator, WasmFeatures};

/// The module's imports as `module.name: (params) -> (results)` and exports as
/// `name: (params) -> (results)` or `name: memory`, both sorted. Panics if the module is not
/// valid WebAssembly 2.0, SIMD included (what `kernel/compiler` accepts).
pub fn describe(bytes: &[u8]) -> (Vec<String>, Vec<String>) {
    let features = WasmFeatures::WASM2;
    let types = Validator::new_with_features(features).validate_all(bytes).expect("module validates as Wasm 2.0");
    let types = types.as_ref();
    let show = |entity: EntityType| match entity {
        EntityType::Func(id) => {
            let func = types[id].unwrap_func();
            format!("{:?} -> {:?}", func.params(), func.results())
        }
        EntityType::Memory(_) => "memory".to_string(),
        EntityType::Table(_) => "table".to_string(),
        EntityType::Global(_) => "global".to_string(),
        other => format!("{other:?}"),
    };
    let mut imports: Vec<String> =
        types.core_imports().unwrap().map(|(module, name, entity)| format!("{module}.{name}: {}", show(entity))).collect();
    let mut exports: Vec<String> =
        types.core_exports().unwrap().map(|(name, entity)| format!("{name}: {}", show(entity))).collect();
    imports.sort();
    exports.sort();
    (imports, exports)
}

/// The signature every import has: two `i32` in, one `i32` out.
pub const IMPORT_SIG: &str = "[I32, I32] -> [I32]";

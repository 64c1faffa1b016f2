//! Build script: turns the `jit` console command's sample module from text to binary Wasm.
#![forbid(unsafe_code)]

fn main() {
    let source = "samples/jit-sample.wat";
    println!("cargo:rerun-if-changed={source}");
    let wasm = wat::parse_file(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("jit-sample.wasm");
    std::fs::write(&out, wasm).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

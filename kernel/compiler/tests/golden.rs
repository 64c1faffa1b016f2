//! Golden tests: each `tests/golden/NAME.wat` is translated to CLIF and compared with
//! `NAME.clif` beside it. Regenerate after an intended change with `BLESS=1 cargo test -p
//! hayabusa-compiler --test golden` and review the diff.

use hayabusa_compiler::compile::translate_to_clif;
use hayabusa_compiler::{CompileOptions, CpuFeatures, module, validate};
use std::path::PathBuf;

fn translate_all(wasm: &[u8]) -> String {
    validate::validate(wasm).expect("golden input is valid");
    let info = module::parse(wasm).unwrap();
    let opts = CompileOptions { cpu: CpuFeatures::x86_64_v2(), ..Default::default() };
    let mut out = String::new();
    for i in 0..info.bodies.len() as u32 {
        let f = translate_to_clif(wasm, &info, info.num_imported_funcs + i, &opts).unwrap();
        out.push_str(&f.display().to_string());
        out.push('\n');
    }
    out
}

#[test]
fn golden_clif() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("BLESS").is_some();
    let mut wats: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wat"))
        .collect();
    wats.sort();
    assert!(!wats.is_empty());
    let mut mismatches = Vec::new();
    for wat_path in wats {
        let wasm = wat::parse_file(&wat_path).unwrap();
        let got = translate_all(&wasm);
        let clif_path = wat_path.with_extension("clif");
        if bless {
            std::fs::write(&clif_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&clif_path)
            .unwrap_or_else(|_| panic!("{} missing: run with BLESS=1", clif_path.display()));
        if got != want {
            eprintln!("--- {} differs; got:\n{got}", clif_path.display());
            mismatches.push(clif_path);
        }
    }
    assert!(mismatches.is_empty(), "golden CLIF changed: {mismatches:?} (BLESS=1 to accept)");
}

//! The hostile corpus's modules that are not Rust programs (see `examples/hostile/README.md`):
//! `examples/hostile/NAME.wat`, assembled, and two generated here because only their size
//! matters and they are too large to commit: `hostile-bigdata.wasm` (over 10 MB, nearly all of
//! it one data segment) and `hostile-manyfuncs.wasm` (100,000 functions).

use std::fmt::Write;
use std::path::Path;

use crate::Failure;

/// Size of the big module's data segment.
const BIG_DATA: usize = 10 << 20;
/// Functions in the many-functions module.
const MANY_FUNCS: usize = 100_000;
/// The byte pattern of the big segment (printable, so the text needs no escapes).
const PATTERN: &[u8] = b"hayabusa";

/// The module for ramdisk file `name`, if the corpus has it.
pub fn module(root: &Path, name: &str) -> Option<Result<Vec<u8>, Failure>> {
    let text = match name {
        "hostile-bigdata.wasm" => big_data(),
        "hostile-manyfuncs.wasm" => many_funcs(),
        _ => {
            let path = root.join("examples/hostile").join(name.strip_suffix(".wasm")?).with_extension("wat");
            if !path.is_file() {
                return None;
            }
            return Some(wat::parse_file(&path).map_err(|e| Failure::Error(format!("{}: {e}", path.display()))));
        }
    };
    Some(wat::parse_str(&text).map_err(|e| Failure::Error(format!("{name}: {e}"))))
}

/// One data segment of [`BIG_DATA`] bytes at address 0; `_start` checks its last byte and exits.
fn big_data() -> String {
    let pages = BIG_DATA.div_ceil(65536) + 1;
    let data: String = PATTERN.iter().cycle().take(BIG_DATA).map(|&b| b as char).collect();
    let last = PATTERN[(BIG_DATA - 1) % PATTERN.len()];
    format!(
        "(module (memory {pages}) (data (i32.const 0) \"{data}\")
           (func (export \"_start\")
             (if (i32.ne (i32.load8_u (i32.const {})) (i32.const {last})) (then unreachable))))",
        BIG_DATA - 1
    )
}

/// [`MANY_FUNCS`] functions, each returning its index; `_start` checks the last one's answer.
fn many_funcs() -> String {
    let mut text = String::from("(module\n");
    for i in 0..MANY_FUNCS - 1 {
        writeln!(text, "(func $f{i} (result i32) (i32.const {i}))").expect("writing to a String");
    }
    let last = MANY_FUNCS - 2;
    writeln!(text, "(func (export \"_start\") (if (i32.ne (call $f{last}) (i32.const {last})) (then unreachable))))")
        .expect("writing to a String");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_modules_have_their_size() {
        let big = wat::parse_str(big_data()).unwrap();
        assert!(big.len() >= 10_000_000, "{} bytes", big.len());
        let many = wat::parse_str(many_funcs()).unwrap();
        let parser = wasmparser::Parser::new(0);
        let funcs = parser
            .parse_all(&many)
            .find_map(|p| match p.unwrap() {
                wasmparser::Payload::FunctionSection(s) => Some(s.count()),
                _ => None,
            })
            .unwrap();
        assert_eq!(funcs as usize, MANY_FUNCS);
    }
}

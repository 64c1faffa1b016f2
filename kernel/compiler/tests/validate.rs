//! Rejections name the problem and the byte offset; unsupported proposals are named; arbitrary
//! bytes never panic.

use hayabusa_compiler::{CompileOptions, CpuFeatures, ErrorKind, compile};

fn opts() -> CompileOptions {
    CompileOptions { cpu: CpuFeatures::x86_64_v2(), ..Default::default() }
}

#[test]
fn invalid_module_names_problem_and_offset() {
    let wasm = wat::parse_str("(module (func (result i32) i64.const 1))").unwrap();
    let e = compile(&wasm, &opts()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(e.message.contains("type mismatch"), "{e}");
    assert_eq!(wasm[e.offset as usize], 0x0b, "offset points at the `end` that finds the mismatch");
    assert!(e.to_string().contains("at byte offset"), "{e}");
}

#[test]
fn malformed_bytes_are_rejected() {
    let e = compile(b"\0asm\x02\0\0\0", &opts()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert_eq!(e.offset, 4);
}

#[test]
fn proposals_outside_scope_are_named() {
    let cases = [
        ("(module (func (result v128) v128.const i64x2 0 0 v128.const i64x2 0 0 i8x16.relaxed_swizzle))", "relaxed-simd"),
        ("(module (memory i64 1))", "memory64"),
        ("(module (memory 1) (memory 1))", "multi-memory"),
        ("(module (func $f return_call $f))", "tail-call"),
        ("(module (type $s (struct)) (func (result (ref null $s)) ref.null $s))", "gc"),
        ("(module (tag))", "exceptions"),
    ];
    for (text, feature) in cases {
        let wasm = wat::parse_str(text).unwrap();
        let e = compile(&wasm, &opts()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported, "{text}: {e}");
        assert_eq!(e.message, format!("unsupported feature {feature}"), "{text}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let base = wat::parse_str(
        "(module (memory 1) (func (export \"f\") (param i32) (result i32) local.get 0 i32.load offset=4))",
    )
    .unwrap();
    // Every single-byte corruption and truncation of a real module: errors, never panics.
    for i in 0..base.len() {
        for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut m = base.clone();
            m[i] = v;
            let _ = compile(&m, &opts());
        }
        let _ = compile(&base[..i], &opts());
    }
}

#[test]
fn cpu_without_sse41_is_refused() {
    let wasm = wat::parse_str("(module)").unwrap();
    let e = compile(&wasm, &CompileOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("SSE4.1"));
}

#[test]
fn code_size_is_read_from_the_section_headers() {
    use hayabusa_compiler::module::{CodeSize, code_size};
    let wasm = wat::parse_str("(module (func) (func (result i32) i32.const 7) (func (export \"f\")))").unwrap();
    let size = code_size(&wasm);
    assert_eq!(size.functions, 3);
    // The code section: a count byte and three bodies (size byte, locals byte, code).
    assert!((8..=16).contains(&size.code_bytes), "{size:?}");
    assert_eq!(code_size(&wat::parse_str("(module)").unwrap()), CodeSize::default());
    assert_eq!(code_size(b"\0asm garbage"), CodeSize::default(), "unreadable counts as 0");
    let mut truncated = wasm.clone();
    truncated.truncate(wasm.len() - 3);
    assert_eq!(code_size(&truncated).functions, 3, "the headers before the damage still count");
}

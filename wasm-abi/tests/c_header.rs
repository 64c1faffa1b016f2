//! Builds C programs against `include/hayabusa.h` with clang (when installed) and checks the
//! modules: valid for the kernel, importing exactly the ABI's functions with the ABI's types.
//!
//! Needs Debian's `clang` and `lld` (for `wasm-ld`; `cargo xtask test` installs them when run as
//! root); without them the tests fail and say so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{IMPORT_SIG, describe};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Whether `tool --version` runs.
fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|out| out.status.success())
}

/// Compiles `source` to a module; panics when clang or wasm-ld is missing.
fn build_c(source: &Path, extra_exports: &[&str]) -> Vec<u8> {
    assert!(
        have("clang") && have("wasm-ld"),
        "clang or wasm-ld missing: install them (`apt-get install clang lld`; `cargo xtask test` does so when run as root)"
    );
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(source.file_stem().unwrap()).with_extension("wasm");
    let mut clang = Command::new("clang");
    clang.args(["--target=wasm32", "-O2", "-nostdlib", "-Wall", "-Werror", "-Wl,--no-entry", "-Wl,--export=_start"]);
    for name in extra_exports {
        clang.arg(format!("-Wl,--export={name}"));
    }
    clang.arg(format!("-I{ROOT}/include")).arg("-o").arg(&out).arg(source);
    let status = clang.status().expect("running clang");
    assert!(status.success(), "clang failed on {}", source.display());
    std::fs::read(&out).unwrap()
}

#[test]
fn hello_c_imports_exactly_lookup_and_call() {
    let bytes = build_c(&Path::new(ROOT).join("../examples/hello-c/hello.c"), &[]);
    let (imports, exports) = describe(&bytes);
    assert_eq!(
        imports,
        [format!("hayabusa.ipc_call: {IMPORT_SIG}"), format!("hayabusa.ipc_lookup: {IMPORT_SIG}")]
    );
    assert_eq!(exports, ["_start: [] -> []", "memory: memory"]);
}

/// A C server using all four imports and the direct-path exports, as docs/abi.md describes it.
const ECHO_SERVER: &str = r#"
#include "hayabusa.h"
static hb_msg buffer, loop_msg;
HB_EXPORT("hayabusa_msg_buffer") int32_t msg_buffer(void) { return (int32_t)(uintptr_t)&buffer; }
static int32_t handle(hb_msg *m) { return m->kind == 1 ? HB_OK : HB_EUNSUPPORTED; }
HB_EXPORT("hayabusa_handle") int32_t direct(int32_t sender) { (void)sender; return handle(&buffer); }
HB_EXPORT("_start") void _start(void) {
    static const char name[] = "echo";
    if (ipc_lookup(name, 4) != HB_ENOT_FOUND) __builtin_trap();
    for (;;) {
        int32_t from = ipc_recv(HB_TASK_ANY, &loop_msg);
        if (from < 0) continue;
        int32_t status = handle(&loop_msg);
        if (status != HB_OK) loop_msg.flags = (uint32_t)status;
        if (ipc_call(HB_TASK_KERNEL, &loop_msg) == HB_EDENIED) __builtin_trap();
        ipc_reply(from, &loop_msg);
    }
}
"#;

#[test]
fn header_declares_all_four_imports_and_the_direct_exports() {
    let source = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("echo_server.c");
    std::fs::write(&source, ECHO_SERVER).unwrap();
    let bytes = build_c(&source, &[]);
    let (imports, exports) = describe(&bytes);
    let expected: Vec<String> =
        ["ipc_call", "ipc_lookup", "ipc_recv", "ipc_reply"].iter().map(|f| format!("hayabusa.{f}: {IMPORT_SIG}")).collect();
    assert_eq!(imports, expected);
    assert_eq!(
        exports,
        ["_start: [] -> []", "hayabusa_handle: [I32] -> [I32]", "hayabusa_msg_buffer: [] -> [I32]", "memory: memory"]
    );
}

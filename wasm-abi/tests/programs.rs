//! Builds the `programs/` workspace for wasm32 and checks every module and the shipped manifest:
//! valid for the kernel, only the ABI's imports, the exports each kind of program needs.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{IMPORT_SIG, describe};
use hayabusa_manifest::Manifest;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Built by clang where available (see `c_header.rs`), not by cargo.
const C_MODULES: [&str; 1] = ["hello-c.wasm"];

/// Builds the programs in release mode; module file name (`pingpong-client.wasm`) → bytes.
fn build_programs() -> BTreeMap<String, Vec<u8>> {
    let programs = Path::new(ROOT).join("../programs");
    let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("programs");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&programs)
        .args(["build", "--release", "--target-dir"])
        .arg(&target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("running cargo");
    assert!(status.success(), "building programs/ failed");
    let out = target_dir.join("wasm32-unknown-unknown/release");
    std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().replace('_', "-");
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// The exports of module `name`, after checking that it imports only the four IPC calls (and,
/// for the benchmark client alone, `bench_mark`).
fn exports_of(name: &str, bytes: &[u8]) -> Vec<String> {
    let (imports, exports) = describe(bytes);
    let mut allowed = vec!["ipc_call", "ipc_lookup", "ipc_recv", "ipc_reply"];
    if name == "pingpong-client.wasm" {
        allowed.push("bench_mark");
    }
    let allowed: Vec<String> = allowed.iter().map(|f| format!("hayabusa.{f}: {IMPORT_SIG}")).collect();
    for import in &imports {
        assert!(allowed.contains(import), "{name}: unexpected import {import}");
    }
    exports
}

#[test]
fn programs_build_and_match_the_manifest() {
    let modules = build_programs();
    let text = std::fs::read_to_string(Path::new(ROOT).join("../programs/manifest")).unwrap();
    let manifest = Manifest::parse(&text).unwrap_or_else(|e| panic!("programs/manifest: {e}"));

    for task in manifest.tasks() {
        assert!(
            modules.contains_key(task.file) || C_MODULES.contains(&task.file),
            "manifest task {} names {}, which no program builds",
            task.name,
            task.file
        );
        for service in task.reach.iter() {
            // badcalls reaches one name on purpose that nobody provides: its lookup must say NOT_FOUND.
            let probe = task.name == "badcalls" && service == "nosuchservice";
            assert!(manifest.provider(service).is_some() || probe, "{} reaches {service}, which nobody provides", task.name);
        }
    }
    for (name, bytes) in &modules {
        let exports = exports_of(name, bytes);
        let has = |e: &str| exports.iter().any(|x| x == e);
        assert!(has("_start: [] -> []") && has("memory: memory"), "{name} lacks _start or memory: {exports:?}");
        let server = has("hayabusa_handle: [I32] -> [I32]") && has("hayabusa_msg_buffer: [] -> [I32]");
        let provides = manifest.tasks().any(|t| t.file == name && t.provides.is_some());
        assert_eq!(server, provides, "{name}: direct-path exports iff the manifest says it provides a service");
        println!("{name}: {} bytes", bytes.len());
    }
    let traps = exports_of("traps.wasm", &modules["traps.wasm"]);
    assert_eq!(traps.iter().filter(|e| e.starts_with("trap_") && e.ends_with(": [] -> []")).count(), 10);
}

#[test]
fn shipped_manifest_grants_what_each_program_needs_and_no_more() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("../programs/manifest")).unwrap();
    let manifest = Manifest::parse(&text).unwrap();
    let task = |name: &str| manifest.task(name).unwrap_or_else(|| panic!("no task {name}"));
    assert_eq!(task("console").provides, Some(hayabusa_abi::names::CONSOLE));
    assert!(task("console").has_device("serial"));
    assert_eq!(manifest.tasks().filter(|t| t.has_device("serial")).count(), 1, "only the console drives serial");
    // denied must be refused everything it tries (examples/denied).
    let denied = task("denied");
    assert_eq!(denied.reach.iter().collect::<Vec<_>>(), [hayabusa_abi::names::CONSOLE]);
    assert_eq!(denied.provides, None);
    assert!(!denied.may_reach(hayabusa_abi::names::PINGPONG));
    // The same server binary on both paths.
    let (direct, switch) = (task("pingpong"), task("pingpong-switch"));
    assert_eq!(direct.file, switch.file);
    assert_eq!((direct.ipc, switch.ipc), (hayabusa_manifest::Ipc::Auto, hayabusa_manifest::Ipc::Switch));
    assert_eq!(switch.args, hayabusa_abi::names::PINGPONG_SWITCH);
    assert!(task("pingpong-client").may_reach(hayabusa_abi::names::PINGPONG_SWITCH));
}

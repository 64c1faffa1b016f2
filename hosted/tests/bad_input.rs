//! Bad input never crashes the runner: a missing or malformed ramdisk image is refused with a
//! message and exit status 1, a bad manifest leaves it without programs (each `run` says why), a
//! malformed module or one without `_start` is refused at `run` with the kernel's errors, and a
//! trapping or killed task ends only itself; the runner then shuts down with status 0.
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A ramdisk image of `files` in a temporary file of its own.
fn image(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("hayabusa-host-test-{}-{name}.bin", std::process::id()));
    std::fs::write(&path, hayabusa_ramdisk::pack(files).expect("packable")).expect("temp file");
    path
}

/// Runs the runner on `image`, typing each line of `steps` once the output holds its `wait`
/// text (each within 60 s), then `shutdown`; its status and output.
fn session(image: &PathBuf, steps: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hayabusa-host"))
        .arg(image)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner starts");
    let output = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stdout.take().expect("piped");
    let sink = output.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let mut stdin = child.stdin.take().expect("piped");
    for (line, wait) in steps {
        writeln!(stdin, "{line}").expect("input");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !output.lock().unwrap().contains(wait) {
            assert!(Instant::now() < deadline, "no {wait:?} after {line:?}:\n{}", output.lock().unwrap());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    writeln!(stdin, "shutdown").expect("input");
    let status = child.wait().expect("the runner ends");
    reader.join().expect("reader");
    let text = output.lock().unwrap().clone();
    (status.code(), text)
}

/// Runs the runner on `image` with nothing on stdin.
fn runner(image: &PathBuf) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hayabusa-host")).arg(image).stdin(Stdio::null()).output().expect("the runner runs")
}

#[test]
fn a_missing_or_malformed_image_is_refused() {
    let missing = runner(&PathBuf::from("/nonexistent/ramdisk.bin"));
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("reading /nonexistent/ramdisk.bin"), "{missing:?}");
    let garbage = std::env::temp_dir().join(format!("hayabusa-host-test-{}-garbage.bin", std::process::id()));
    std::fs::write(&garbage, b"not a ramdisk at all").expect("temp file");
    let malformed = runner(&garbage);
    assert_eq!(malformed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("not a ramdisk image"), "{malformed:?}");
    let usage = Command::new(env!("CARGO_BIN_EXE_hayabusa-host")).output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn a_bad_manifest_leaves_no_programs_but_a_working_console() {
    let path = image("bad-manifest", &[("manifest", b"[broken\nfile = x.wasm\n")]);
    let (status, text) = session(&path, &[("run hello", "error: run hello"), ("echo still here", "echo: still here")]);
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("ERROR programs: manifest:"), "{text}");
    assert!(text.contains("error: run hello: the ramdisk has no valid manifest"), "{text}");
    assert!(text.contains("echo: still here"), "{text}");
}

#[test]
fn bad_modules_and_trapping_tasks_end_only_themselves() {
    let manifest = b"[garbage]\nfile = garbage.wasm\n\n[nostart]\nfile = nostart.wasm\n\n[trap]\nfile = trap.wasm\n\n[missing]\nfile = missing.wasm\n\n[spin]\nfile = spin.wasm\n";
    let nostart = wat::parse_str("(module (memory 1))").expect("wat");
    let trap = wat::parse_str(r#"(module (memory 1) (func (export "_start") unreachable))"#).expect("wat");
    let spin = wat::parse_str(r#"(module (memory 1) (func (export "_start") (loop br 0)))"#).expect("wat");
    let path = image(
        "modules",
        &[("manifest", manifest), ("garbage.wasm", b"\0asm\x01\0\0\0\x01\xff"), ("nostart.wasm", &nostart), ("trap.wasm", &trap), ("spin.wasm", &spin)],
    );
    let (status, text) = session(
        &path,
        &[
            ("run garbage", "error: run garbage"),
            ("run nostart", "(nostart) failed to start"),
            ("run trap", "(trap) trapped"),
            ("run missing", "error: run missing"),
            ("run spin", "run: started task 4 (spin)"),
            ("kill spin", "killed 1 spin tasks"),
            ("run trap", "task 5 (trap) trapped"),
        ],
    );
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("error: run garbage: compile error:"), "{text}");
    assert!(text.contains("(nostart) failed to start: the module exports no _start"), "{text}");
    assert_eq!(text.matches("(trap) trapped: unreachable").count(), 2, "{text}");
    assert!(text.contains("error: run missing: the ramdisk has no missing.wasm"), "{text}");
    assert!(text.contains("(spin) killed"), "{text}");
    assert!(text.contains("shutting down"), "{text}");
}

//! Shared setup of the boot tests: boot the image `cargo xtask test` built, under its settings.

#![forbid(unsafe_code)]

pub mod http;
pub mod http_checks;

use std::path::PathBuf;
use std::time::Duration;

pub use hayabusa_boot::{Outcome, PROMPT, Session, SessionError};
use hayabusa_boot::{Accel, Net, VmConfig};

/// Boots the test image headless and returns the session, the whole boot under
/// `HAYABUSA_TIMEOUT` seconds (default 120). Panics with directions when not run by xtask.
pub fn boot() -> Session {
    boot_for(0)
}

/// [`boot`], with at least `min_secs` seconds for the whole boot (for long tests).
pub fn boot_for(min_secs: u64) -> Session {
    boot_with(min_secs, None)
}

/// [`boot_for`], the VM with a virtio-net NIC on QEMU's user network (host 127.0.0.1:`port`, if
/// given, forwarded to the guest's port 80).
pub fn boot_with_net(min_secs: u64, http_port: Option<u16>) -> Session {
    boot_with(min_secs, Some(Net { http_port }))
}

/// A TCP port free on 127.0.0.1 now (the OS picks it), for a VM's forwarding.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("its address").port()
}

fn boot_with(min_secs: u64, net: Option<Net>) -> Session {
    let Some(image) = std::env::var_os("HAYABUSA_TEST_IMAGE").map(PathBuf::from) else {
        panic!(
            "HAYABUSA_TEST_IMAGE is not set: the boot tests need an image built with the \
             test-hooks kernel. Run them through `cargo xtask test`."
        );
    };
    assert!(image.is_file(), "HAYABUSA_TEST_IMAGE={} does not exist; run `cargo xtask test`", image.display());
    let accel = std::env::var("HAYABUSA_ACCEL").ok();
    let accel = accel.as_deref().map_or(Some(Accel::Tcg), Accel::parse).expect("HAYABUSA_ACCEL must be tcg or kvm");
    let timeout = session_secs().max(min_secs);
    let work_dir = std::env::var_os("HAYABUSA_WORK_DIR")
        .map(PathBuf::from)
        .or_else(|| image.parent().map(PathBuf::from))
        .unwrap_or_default();
    let tools = hayabusa_boot::ensure_tools().unwrap_or_else(|e| panic!("{e}"));
    let config = VmConfig { tools, accel, image: Some(image), work_dir, terminal: false, capture_stderr: true, net };
    Session::start(&config, Duration::from_secs(timeout)).unwrap_or_else(|e| panic!("starting QEMU: {e}"))
}

/// Seconds a whole session may take: `HAYABUSA_TIMEOUT` (default 120).
fn session_secs() -> u64 {
    std::env::var("HAYABUSA_TIMEOUT").ok().map_or(120, |s| s.parse().expect("HAYABUSA_TIMEOUT: seconds"))
}

/// The hosted runner `cargo xtask test` built and the ramdisk it packed for it (the test image's
/// program files). Panics with directions when not run by xtask.
pub fn hosted_runner() -> (PathBuf, PathBuf) {
    let var = |name: &str| {
        let path = std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| panic!("{name} is not set: run the tests through `cargo xtask test`"));
        assert!(path.is_file(), "{name}={} does not exist; run `cargo xtask test`", path.display());
        path
    };
    (var("HAYABUSA_HOST_RUNNER"), var("HAYABUSA_HOST_RAMDISK"))
}

/// Starts the hosted runner on its ramdisk ([`hosted_runner`]) as a session like [`boot`]'s.
pub fn hosted() -> Session {
    hosted_with(&[])
}

/// [`hosted`] with runner options before the ramdisk (e.g. `--tcp-port 80=8080`).
pub fn hosted_with(options: &[&str]) -> Session {
    let (runner, ramdisk) = hosted_runner();
    let mut command = std::process::Command::new(runner);
    command.args(options).arg(ramdisk);
    Session::start_process(command, Duration::from_secs(session_secs())).unwrap_or_else(|e| panic!("starting the hosted runner: {e}"))
}

/// The first line of `text` that starts with `prefix` (after leading whitespace).
pub fn line_starting<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().map(str::trim_start).find(|line| line.starts_with(prefix))
}

/// Consumes everything up to and including the prompt after `echo: <tag>`, so the next command
/// reads only its own output; returns what came before the echo (task output meanwhile).
pub fn sync(vm: &mut Session, tag: &str) -> Result<String, SessionError> {
    vm.send(&format!("echo {tag}\n"))?;
    let before = vm.expect(&format!("echo: {tag}"))?;
    vm.expect_prompt()?;
    Ok(before)
}

/// Types `run NAME ARGS` and returns the new task's id (from `run: started task N (NAME)`).
/// Consumes nothing: the task may print, or even end, before the console's `run: started`
/// line, so what it prints stays for the caller's next `expect`. Panics with the console's
/// error if the task did not start.
pub fn run(vm: &mut Session, name: &str, args: &str) -> Result<i32, SessionError> {
    let from = vm.transcript().len();
    vm.send(&format!("run {name} {args}\n"))?;
    let (started, refused) = ("run: started task ", format!("error: run {name}:"));
    let give_up = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < give_up {
        let text = vm.transcript()[from..].replace('\r', "");
        if let Some(line) = text.split_once(started).and_then(|(_, rest)| rest.lines().next())
            && line.ends_with(&format!(" ({name})"))
        {
            return Ok(line.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no task id in {line:?}")));
        }
        if let Some((_, rest)) = text.split_once(&refused) {
            panic!("run {name} failed: {refused}{}", rest.lines().next().unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Not seen in time: fail the way every other wait does, with the transcript.
    vm.expect(started).map(|_| panic!("run {name}: no `run: started` line"))
}

//! Choosing the accelerator: KVM only where it really works, TCG otherwise.
//!
//! `/dev/kvm` existing is not enough: under nested, software-emulated KVM, QEMU aborts setting
//! MSRs with `-cpu host`, or OVMF dies with "KVM internal error". So `auto` boots OVMF alone under
//! KVM for a few seconds and uses KVM only if the firmware gets as far as writing to the serial
//! port with nothing alarming on stderr. The verdict is cached in the work directory, keyed by the
//! host's boot id, kernel release, and the QEMU and OVMF files, so the probe runs once per boot of
//! the host.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::install::Tools;
use crate::qemu::{Vm, VmConfig};

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccelChoice {
    Auto,
    Tcg,
    Kvm,
}

/// What a VM runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accel {
    Tcg,
    Kvm,
}

/// How long the probe gives OVMF to reach the serial port under KVM (TCG needs ~3 s; KVM far less).
const PROBE_TIME: Duration = Duration::from_secs(8);

impl AccelChoice {
    pub fn parse(text: &str) -> Option<AccelChoice> {
        match text {
            "auto" => Some(AccelChoice::Auto),
            "tcg" => Some(AccelChoice::Tcg),
            "kvm" => Some(AccelChoice::Kvm),
            _ => None,
        }
    }

    /// Decides the accelerator, probing (or reading the cached probe) for `auto` and `kvm`.
    pub fn resolve(self, tools: &Tools, work_dir: &Path) -> Result<Accel, Error> {
        if self == AccelChoice::Tcg {
            return Ok(Accel::Tcg);
        }
        let verdict = cached_probe(tools, work_dir);
        match (self, verdict) {
            (_, Ok(())) => Ok(Accel::Kvm),
            (AccelChoice::Kvm, Err(why)) => Err(Error::new(format!("--accel kvm: KVM does not work here: {why}"))),
            (_, Err(why)) => {
                eprintln!("hayabusa: KVM unusable ({why}); using TCG");
                Ok(Accel::Tcg)
            }
        }
    }
}

impl Accel {
    pub fn parse(text: &str) -> Option<Accel> {
        match text {
            "tcg" => Some(Accel::Tcg),
            "kvm" => Some(Accel::Kvm),
            _ => None,
        }
    }

    /// The value for QEMU's `-accel`.
    pub fn qemu_name(self) -> &'static str {
        match self {
            Accel::Tcg => "tcg",
            Accel::Kvm => "kvm",
        }
    }

    /// The value for QEMU's `-cpu`: every feature TCG can emulate, or the host's own CPU.
    pub fn cpu_model(self) -> &'static str {
        match self {
            Accel::Tcg => "max",
            Accel::Kvm => "host",
        }
    }
}

/// The probe's verdict, from the cache when its key still matches.
fn cached_probe(tools: &Tools, work_dir: &Path) -> Result<(), String> {
    let key = cache_key(tools);
    let cache = work_dir.join("kvm-probe.txt");
    if let Ok(text) = std::fs::read_to_string(&cache)
        && let Some((cached_key, verdict)) = text.split_once("\n--\n")
        && cached_key == key
    {
        let verdict = verdict.trim_end();
        return if verdict == "ok" { Ok(()) } else { Err(format!("{verdict}; cached in {}", cache.display())) };
    }
    let verdict = probe(tools, work_dir);
    let text = format!("{key}\n--\n{}\n", verdict.as_ref().err().map_or("ok", String::as_str));
    let temp = work_dir.join(format!("kvm-probe.txt.{}", std::process::id()));
    if std::fs::create_dir_all(work_dir).is_ok() && std::fs::write(&temp, text).is_ok() {
        let _ = std::fs::rename(&temp, &cache);
    }
    verdict
}

/// What the verdict depends on: this boot of this host, and the exact QEMU and OVMF files.
fn cache_key(tools: &Tools) -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default().trim().to_string();
    let file = |path: &Path| {
        let meta = std::fs::metadata(path).ok();
        let mtime = meta.as_ref().and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        format!("{} {} {:?}", path.display(), meta.map_or(0, |m| m.len()), mtime.map(|t| t.as_secs()))
    };
    format!(
        "boot_id {}\nkernel {}\nqemu {}\novmf {}",
        read("/proc/sys/kernel/random/boot_id"),
        read("/proc/sys/kernel/osrelease"),
        file(&tools.qemu),
        file(&tools.ovmf_code)
    )
}

/// Boots OVMF without a disk under KVM: `Ok` if it writes to serial and stderr stays clean.
fn probe(tools: &Tools, work_dir: &Path) -> Result<(), String> {
    if std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_err() {
        return Err("/dev/kvm missing or not accessible".into());
    }
    let config = VmConfig {
        tools: tools.clone(),
        accel: Accel::Kvm,
        image: None,
        work_dir: work_dir.to_path_buf(),
        terminal: false,
        capture_stderr: true,
        net: None,
    };
    let mut vm = Vm::spawn(&config).map_err(|e| e.to_string())?;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut stdout = vm.stdout.take().ok_or("no stdout")?;
    let mut stderr = vm.stderr.take().ok_or("no stderr")?;
    let tx_out = tx.clone();
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        if matches!(stdout.read(&mut byte), Ok(1)) {
            let _ = tx_out.send(None);
        }
    });
    // Stderr: the first line that reports an error (QEMU stays alive after "KVM internal error"),
    // or the whole text once QEMU exits.
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(&mut stderr)).map_while(Result::ok) {
            if line.to_ascii_lowercase().contains("error") {
                let _ = tx.send(Some(line.trim().to_string()));
                return;
            }
            text.push_str(&line);
            text.push('\n');
        }
        let _ = tx.send(Some(text));
    });
    let deadline = Instant::now() + PROBE_TIME;
    let verdict = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(100))) {
            // Serial output: give a fatal error that races it 300 ms to show up on stderr.
            Ok(None) => {
                std::thread::sleep(Duration::from_millis(300));
                break match vm.try_wait() {
                    None => Ok(()),
                    Some(outcome) => Err(format!("QEMU exited during the probe ({})", outcome.describe())),
                };
            }
            Ok(Some(stderr)) => {
                let line = stderr.lines().next().unwrap_or("").trim();
                break Err(if line.is_empty() { "QEMU exited during the probe".into() } else { line.into() });
            }
            Err(_) if Instant::now() >= deadline => break Err("OVMF produced no serial output under KVM".into()),
            Err(_) => {}
        }
    };
    drop(vm);
    verdict
}

//! Finds QEMU and the OVMF firmware, installing them (and other Debian packages the build needs)
//! with apt-get when running as root.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;

/// The Debian and Ubuntu packages of QEMU and OVMF.
const QEMU_PACKAGES: &str = "qemu-system-x86 ovmf";

/// Where OVMF's code and variable-store images live on common distributions (4 MiB builds first).
const OVMF_CANDIDATES: &[(&str, &str)] = &[
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
    ("/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd"),
    ("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
];

/// The host programs and firmware a VM needs.
#[derive(Clone, Debug)]
pub struct Tools {
    pub qemu: PathBuf,
    /// OVMF code (read-only flash).
    pub ovmf_code: PathBuf,
    /// OVMF variable store template; every VM boots from its own writable copy.
    pub ovmf_vars: PathBuf,
}

impl Tools {
    /// Looks for the tools; `HAYABUSA_QEMU`, `HAYABUSA_OVMF_CODE` and `HAYABUSA_OVMF_VARS` override.
    pub fn locate() -> Result<Tools, Vec<&'static str>> {
        let qemu = match std::env::var_os("HAYABUSA_QEMU") {
            Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
            None => find_in_path("qemu-system-x86_64"),
        };
        let ovmf = match (std::env::var_os("HAYABUSA_OVMF_CODE"), std::env::var_os("HAYABUSA_OVMF_VARS")) {
            (Some(code), Some(vars)) => Some((PathBuf::from(code), PathBuf::from(vars)))
                .filter(|(code, vars)| code.is_file() && vars.is_file()),
            _ => OVMF_CANDIDATES
                .iter()
                .find(|(code, vars)| Path::new(code).is_file() && Path::new(vars).is_file())
                .map(|(code, vars)| (PathBuf::from(code), PathBuf::from(vars))),
        };
        match (qemu, ovmf) {
            (Some(qemu), Some((ovmf_code, ovmf_vars))) => Ok(Tools { qemu, ovmf_code, ovmf_vars }),
            (qemu, ovmf) => {
                let mut missing = Vec::new();
                if qemu.is_none() {
                    missing.push("QEMU (qemu-system-x86_64)");
                }
                if ovmf.is_none() {
                    missing.push("OVMF UEFI firmware");
                }
                Err(missing)
            }
        }
    }
}

/// Locates the tools, installing them first with apt-get if they are missing and we are root.
pub fn ensure_tools() -> Result<Tools, Error> {
    let missing = match Tools::locate() {
        Ok(tools) => return Ok(tools),
        Err(missing) => missing.join(" and "),
    };
    let overridden = ["HAYABUSA_QEMU", "HAYABUSA_OVMF_CODE", "HAYABUSA_OVMF_VARS"]
        .iter()
        .any(|var| std::env::var_os(var).is_some());
    if overridden {
        return Err(Error::new(format!(
            "{missing} not found where HAYABUSA_QEMU / HAYABUSA_OVMF_CODE / HAYABUSA_OVMF_VARS point \
             (OVMF needs both)"
        )));
    }
    apt_install(&missing, QEMU_PACKAGES).map_err(|e| {
        Error::new(format!("{e}\n(or point HAYABUSA_QEMU, HAYABUSA_OVMF_CODE and HAYABUSA_OVMF_VARS at them)"))
    })?;
    Tools::locate().map_err(|missing| {
        Error::new(format!("{} still missing after apt-get install", missing.join(" and ")))
    })
}

/// The command that installs Debian `packages` (space-separated).
fn install_command(packages: &str) -> String {
    format!("apt-get update && apt-get install -y {packages}")
}

/// Installs Debian `packages` with apt-get because `missing` (what to name in messages) was not
/// found. Only as root with apt-get present; otherwise an error that gives the command to run.
pub fn apt_install(missing: &str, packages: &str) -> Result<(), Error> {
    let command = install_command(packages);
    if !is_root() || find_in_path("apt-get").is_none() {
        return Err(Error::new(format!("{missing} not found. Install with:\n    sudo sh -c '{command}'")));
    }
    eprintln!("hayabusa: {missing} not found; running as root, so installing: {command}");
    let status = Command::new("sh")
        .args(["-c", &command])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| Error::io("running apt-get", e))?;
    if status.success() { Ok(()) } else { Err(Error::new(format!("`{command}` failed ({status})"))) }
}

/// Whether this process runs with effective user id 0 (`/proc/self` belongs to the euid).
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

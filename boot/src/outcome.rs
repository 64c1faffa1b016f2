//! How a VM run ended, translated from QEMU's exit status into a verdict and a shell exit code.
//!
//! The kernel reports through QEMU's `isa-debug-exit` device (port 0xf4): writing `v` makes QEMU
//! exit with `(v << 1) | 1`. The contract is 0x10 = success (QEMU status 33) and 0x11 = failure
//! (status 35). With `-no-reboot`, a triple fault or reset makes QEMU exit with 0, so 0 is *not*
//! success.

use std::process::ExitStatus;

/// QEMU's exit status when the kernel wrote 0x10 (success) to the debug-exit port.
pub const QEMU_SUCCESS: i32 = (0x10 << 1) | 1;
/// QEMU's exit status when the kernel wrote 0x11 (failure) to the debug-exit port.
pub const QEMU_FAILURE: i32 = (0x11 << 1) | 1;

/// How a VM run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The kernel reported success (e.g. `shutdown`).
    Success,
    /// Input ended and the console was idle at its prompt, so we stopped QEMU.
    StoppedAtPrompt,
    /// The kernel reported a failure (exception report, panic).
    KernelFailure,
    /// QEMU exited with 0: the guest reset, most likely a triple fault.
    Reset,
    /// QEMU exited with some other status: usually QEMU itself failed.
    QemuExit(i32),
    /// QEMU was killed by a signal.
    Signal(i32),
    /// The time limit passed and we killed QEMU.
    Timeout,
}

impl Outcome {
    /// Translates QEMU's exit status.
    pub fn from_status(status: ExitStatus) -> Outcome {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(QEMU_SUCCESS), _) => Outcome::Success,
            (Some(QEMU_FAILURE), _) => Outcome::KernelFailure,
            (Some(0), _) => Outcome::Reset,
            (Some(code), _) => Outcome::QemuExit(code),
            (None, Some(signal)) => Outcome::Signal(signal),
            (None, None) => Outcome::QemuExit(-1),
        }
    }

    /// Translates a plain console process's exit status (the hosted runner): 0 is success.
    pub fn from_process_status(status: ExitStatus) -> Outcome {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(0), _) => Outcome::Success,
            (Some(code), _) => Outcome::QemuExit(code),
            (None, Some(signal)) => Outcome::Signal(signal),
            (None, None) => Outcome::QemuExit(-1),
        }
    }

    /// Whether this counts as a successful run.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Success | Outcome::StoppedAtPrompt)
    }

    /// The exit code for our own process: 0 success, 1 kernel failure, 3 reset, 4 QEMU error,
    /// 124 timeout, 128 + n for signal n.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Success | Outcome::StoppedAtPrompt => 0,
            Outcome::KernelFailure => 1,
            Outcome::Reset => 3,
            Outcome::QemuExit(_) => 4,
            Outcome::Timeout => 124,
            Outcome::Signal(signal) => 128u8.saturating_add(signal.clamp(0, 127) as u8),
        }
    }

    /// One line saying what happened and what it probably means.
    pub fn describe(self) -> String {
        match self {
            Outcome::Success => "kernel reported success".into(),
            Outcome::StoppedAtPrompt => "input ended and the console was back at its prompt; stopped QEMU".into(),
            Outcome::KernelFailure => "kernel reported failure (exception or panic; see its report above)".into(),
            Outcome::Reset => "QEMU exited with status 0: the guest reset without reporting, most likely a \
                               triple fault (or the firmware could not boot the image)"
                .into(),
            Outcome::QemuExit(code) => format!("QEMU exited with status {code}: QEMU itself failed, see its messages above"),
            Outcome::Signal(signal) => format!("QEMU was killed by signal {signal}"),
            Outcome::Timeout => "timed out: the guest hung or is too slow; QEMU was killed".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    fn exited(code: i32) -> Outcome {
        Outcome::from_status(ExitStatus::from_raw(code << 8))
    }

    #[test]
    fn debug_exit_codes_translate() {
        assert_eq!(exited(33), Outcome::Success);
        assert_eq!(exited(35), Outcome::KernelFailure);
        assert_eq!(exited(0), Outcome::Reset);
        assert_eq!(exited(1), Outcome::QemuExit(1));
        assert_eq!(Outcome::from_status(ExitStatus::from_raw(9)), Outcome::Signal(9));
        let codes: Vec<u8> = [exited(33), exited(35), exited(0), exited(1), Outcome::Timeout, Outcome::Signal(9)]
            .iter()
            .map(|o| o.exit_code())
            .collect();
        assert_eq!(codes, [0, 1, 3, 4, 124, 137]);
        assert!(Outcome::StoppedAtPrompt.is_success() && !Outcome::Reset.is_success());
        assert!(Outcome::Reset.describe().contains("triple fault"));
    }
}

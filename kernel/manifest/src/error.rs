//! Manifest errors: what is wrong, and on which line.

use core::fmt;

/// A manifest error at a 1-based line number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub kind: ErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Neither `[task]`, `key = value`, a comment nor blank.
    Syntax,
    /// A `key = value` line before the first `[task]`.
    OutsideTask,
    UnknownKey,
    DuplicateKey,
    /// A task without `file =`.
    MissingFile,
    /// A task or service name that is empty, too long, or has characters outside `a-z A-Z 0-9 - _ .`.
    BadName,
    BadFileName,
    /// `boot` not `yes`/`no`, `ipc` not `auto`/`switch`, or an unknown device.
    BadValue,
    /// A `memory`, `tables` or `stack` value that is not a number with an optional K/M/G suffix
    /// in its range.
    BadLimit,
    /// Two tasks with the same name.
    DuplicateTask,
    /// Two tasks providing the same service.
    DuplicateService,
}

impl ErrorKind {
    pub fn message(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "expected `[task]`, `key = value`, a `#` comment or a blank line",
            ErrorKind::OutsideTask => "`key = value` before the first `[task]`",
            ErrorKind::UnknownKey => "unknown key (file, provides, reach, device, boot, ipc, args, memory, tables, stack, files, tasks)",
            ErrorKind::DuplicateKey => "key given twice in one task",
            ErrorKind::MissingFile => "task has no `file =`",
            ErrorKind::BadName => "bad name (1-32 bytes of a-z A-Z 0-9 - _ .)",
            ErrorKind::BadFileName => "bad file name (1-255 bytes, no spaces or control characters)",
            ErrorKind::BadValue => "bad value (boot: yes|no|if DEVICE, tasks: yes|no, ipc: auto|switch, device: serial|virtio-net)",
            ErrorKind::BadLimit => {
                "bad limit (memory: a multiple of 64K up to 4G; tables: 0 to 10000000 elements; stack: a multiple of 4K from 128K to 64M; sizes take a K, M or G suffix)"
            }
            ErrorKind::DuplicateTask => "task name used twice",
            ErrorKind::DuplicateService => "service provided by two tasks",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "manifest line {}: {}", self.line, self.kind.message())
    }
}

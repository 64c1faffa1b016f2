//! The console's log line, the same on every system: `[SECONDS.MICROS] LEVEL message`.
use core::fmt;

use log::{Level, Record};

/// A log record as the console prints it, `ns` after the system started.
pub struct LogLine<'a, 'r> {
    pub ns: u64,
    pub record: &'a Record<'r>,
}

impl fmt::Display for LogLine<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        write!(f, "[{:5}.{:06}] {level} {}", self.ns / 1_000_000_000, self.ns % 1_000_000_000 / 1000, self.record.args())
    }
}

//! The `log` facade's backend: timestamped, levelled lines on stdout, in the kernel's format.
use log::{Level, LevelFilter, Metadata, Record};

struct Logger;

static LOGGER: Logger = Logger;

impl log::Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let ns = hayabusa_tasks::uptime_ms::<crate::system::Hosted>() * 1_000_000;
        let level = match record.level() {
            Level::Error => "ERROR",
            Level::Warn => "WARN ",
            Level::Info => "INFO ",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        };
        println!("[{:5}.{:06}] {level} {}", ns / 1_000_000_000, ns % 1_000_000_000 / 1000, record.args());
    }

    fn flush(&self) {}
}

/// Installs the logger at `info`.
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

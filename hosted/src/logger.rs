//! The `log` facade's backend: timestamped, levelled lines on stdout, in the kernel's format.
use hayabusa_tasks::console::log::LogLine;
use log::{LevelFilter, Metadata, Record};

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
        let ns = <crate::system::Hosted as hayabusa_tasks::System>::uptime_ns();
        println!("{}", LogLine { ns, record });
    }

    fn flush(&self) {}
}

/// Installs the logger at `info`.
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

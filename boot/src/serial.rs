//! The serial console as seen from the host: a thread collects QEMU's stdout into a shared log
//! (optionally mirroring it to our stdout), and waiters block on the log with a deadline.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::BANNER;

/// Everything the guest wrote to the serial port so far.
#[derive(Clone)]
pub(crate) struct SerialLog {
    shared: Arc<(Mutex<State>, Condvar)>,
}

struct State {
    bytes: Vec<u8>,
    closed: bool,
    last_output: Instant,
}

/// Why a wait on the log ended without finding what it waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitEnd {
    /// QEMU closed the serial port (it exited).
    Closed,
    Timeout,
}

impl SerialLog {
    /// Starts the thread that reads `source` until EOF; `mirror` gets a copy, with firmware
    /// escape sequences removed until the kernel banner.
    pub fn pump(mut source: impl Read + Send + 'static, mut mirror: Option<Box<dyn Write + Send>>) -> SerialLog {
        let log = SerialLog {
            shared: Arc::new((
                Mutex::new(State { bytes: Vec::new(), closed: false, last_output: Instant::now() }),
                Condvar::new(),
            )),
        };
        let writer = log.clone();
        std::thread::spawn(move || {
            let mut filter = EscapeFilter::default();
            let mut buf = [0u8; 4096];
            loop {
                let n = match source.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if let Some(out) = mirror.as_mut() {
                    let _ = out.write_all(&filter.filter(&buf[..n]));
                    let _ = out.flush();
                }
                let mut state = writer.lock();
                state.bytes.extend_from_slice(&buf[..n]);
                state.last_output = Instant::now();
                writer.shared.1.notify_all();
            }
            writer.lock().closed = true;
            writer.shared.1.notify_all();
        });
        log
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Waits until `needle` occurs at or after byte `from`; returns the index just past it.
    pub fn wait_for(&self, from: usize, needle: &str, deadline: Instant) -> Result<usize, WaitEnd> {
        self.wait_until(deadline, |bytes, _| find(bytes, from, needle.as_bytes()).map(|at| at + needle.len()))
    }

    /// Waits until `check(whole log, time since the last output)` returns `Some`.
    pub fn wait_until<T>(
        &self,
        deadline: Instant,
        mut check: impl FnMut(&[u8], Duration) -> Option<T>,
    ) -> Result<T, WaitEnd> {
        let mut state = self.lock();
        loop {
            if let Some(found) = check(&state.bytes, state.last_output.elapsed()) {
                return Ok(found);
            }
            if state.closed {
                return Err(WaitEnd::Closed);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(WaitEnd::Timeout);
            }
            let wait = left.min(Duration::from_millis(100));
            state = self.shared.1.wait_timeout(state, wait).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// The log as text (lossy UTF-8), from byte `from` on.
    pub fn text_from(&self, from: usize) -> String {
        let state = self.lock();
        String::from_utf8_lossy(state.bytes.get(from..).unwrap_or_default()).into_owned()
    }

}

/// Index of the first `needle` at or after `from`.
pub(crate) fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = bytes.get(from..)?;
    hay.windows(needle.len().max(1)).position(|w| w == needle).map(|at| at + from)
}

/// Drops ANSI/VT100 escape sequences (OVMF's screen handling) until the kernel banner appears,
/// then passes everything through. Works across chunk boundaries.
#[derive(Default)]
pub(crate) struct EscapeFilter {
    passthrough: bool,
    banner_matched: usize,
    escape: Escape,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    /// After ESC.
    Start,
    /// Inside `ESC [ ...` until a final byte 0x40..=0x7e.
    Csi,
}

impl EscapeFilter {
    pub fn filter(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        for &byte in input {
            if self.passthrough {
                out.push(byte);
                continue;
            }
            self.escape = match (self.escape, byte) {
                (Escape::None, 0x1b) => Escape::Start,
                (Escape::None, _) => {
                    out.push(byte);
                    self.track_banner(byte);
                    Escape::None
                }
                (Escape::Start, b'[') => Escape::Csi,
                (Escape::Start, _) => Escape::None,
                (Escape::Csi, 0x40..=0x7e) => Escape::None,
                (Escape::Csi, _) => Escape::Csi,
            };
        }
        out
    }

    fn track_banner(&mut self, byte: u8) {
        let banner = BANNER.as_bytes();
        if byte == banner[self.banner_matched] {
            self.banner_matched += 1;
        } else {
            self.banner_matched = usize::from(byte == banner[0]);
        }
        if self.banner_matched == banner.len() {
            self.passthrough = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_escapes_until_banner_even_when_split() {
        let mut filter = EscapeFilter::default();
        let mut out = filter.filter(b"\x1b[2J\x1b[01;01HBds\x1b");
        out.extend(filter.filter(b"[=3hX\r\nHaya"));
        out.extend(filter.filter(b"busa 0.1\x1b[1m"));
        assert_eq!(out, b"BdsX\r\nHayabusa 0.1\x1b[1m");
    }

    #[test]
    fn find_from_offset() {
        assert_eq!(find(b"a> b> ", 0, b"> "), Some(1));
        assert_eq!(find(b"a> b> ", 2, b"> "), Some(4));
        assert_eq!(find(b"a> ", 5, b"> "), None);
    }
}

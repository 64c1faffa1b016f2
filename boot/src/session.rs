//! An expect-style session over the serial console of a headless VM, for boot tests.

use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::outcome::Outcome;
use crate::qemu::{Vm, VmConfig};
use crate::serial::{SerialLog, WaitEnd};
use crate::PROMPT;

/// A running VM whose serial output is matched against expectations, all under one deadline.
pub struct Session {
    vm: Vm,
    serial: SerialLog,
    stderr: SerialLog,
    /// Serial bytes before this index have been consumed by an `expect`.
    cursor: usize,
    started: Instant,
    deadline: Instant,
}

/// An expectation that failed, with the serial transcript so far.
pub struct SessionError(String);

impl Session {
    /// Boots `config` (its stdio settings are overridden: pipes, stderr captured) with `timeout`
    /// for the whole session.
    pub fn start(config: &VmConfig, timeout: Duration) -> Result<Session, Error> {
        let config = VmConfig { terminal: false, capture_stderr: true, ..config.clone() };
        Self::over(Vm::spawn(&config)?, timeout)
    }

    fn over(mut vm: Vm, timeout: Duration) -> Result<Session, Error> {
        let stdout = vm.stdout.take().ok_or_else(|| Error::new("QEMU stdout not piped"))?;
        let stderr = vm.stderr.take().ok_or_else(|| Error::new("QEMU stderr not piped"))?;
        let started = Instant::now();
        Ok(Session {
            vm,
            serial: SerialLog::pump(stdout, None),
            stderr: SerialLog::pump(stderr, None),
            cursor: 0,
            started,
            deadline: started + timeout,
        })
    }

    /// Starts `command`, a console process other than QEMU (the hosted runner), as a session
    /// with `timeout` for the whole of it.
    pub fn start_process(command: std::process::Command, timeout: Duration) -> Result<Session, Error> {
        Self::over(Vm::spawn_process(command)?, timeout)
    }

    /// Waits for `needle` after what earlier expectations consumed; returns the text up to and
    /// including it (`\r` removed) and consumes it.
    pub fn expect(&mut self, needle: &str) -> Result<String, SessionError> {
        match self.serial.wait_for(self.cursor, needle, self.deadline) {
            Ok(end) => {
                let text = self.serial.text_from(self.cursor);
                let consumed = text.get(..end - self.cursor).unwrap_or(&text).replace('\r', "");
                self.cursor = end;
                Ok(consumed)
            }
            Err(end) => Err(self.error(&format!("expected {needle:?}"), end)),
        }
    }

    /// Waits for the next prompt; returns the text before it.
    pub fn expect_prompt(&mut self) -> Result<String, SessionError> {
        let text = self.expect(PROMPT)?;
        Ok(text.strip_suffix(PROMPT).unwrap_or(&text).to_string())
    }

    /// Types `text` on the console.
    pub fn send(&mut self, text: &str) -> Result<(), SessionError> {
        let sent = match self.vm.stdin.as_mut() {
            Some(stdin) => stdin.write_all(text.as_bytes()).and_then(|()| stdin.flush()).is_ok(),
            None => false,
        };
        if sent { Ok(()) } else { Err(self.error(&format!("sending {text:?}"), WaitEnd::Closed)) }
    }

    /// Types `line` and Enter, waits for the next prompt and returns the command's output: the
    /// text between the echoed line and the prompt.
    pub fn command(&mut self, line: &str) -> Result<String, SessionError> {
        self.send(&format!("{line}\n"))?;
        let text = self.expect_prompt()?;
        let output = match text.split_once('\n') {
            Some((echo, rest)) if echo.trim_end().ends_with(line.trim()) => rest,
            _ => &text,
        };
        Ok(output.to_string())
    }

    /// Waits for QEMU to exit by itself (until the session deadline) and says how it ended.
    pub fn wait_exit(&mut self) -> Outcome {
        self.vm.stdin = None;
        let outcome = self.vm.wait_until(self.deadline);
        // QEMU is gone, but the pump may still be draining the pipe: wait for its EOF.
        let _ = self.serial.wait_until(Instant::now() + Duration::from_secs(2), |_, _| None::<()>);
        outcome
    }

    /// Waits for QEMU to exit and checks that it ended as `expected`.
    pub fn expect_exit(&mut self, expected: Outcome) -> Result<(), SessionError> {
        let outcome = self.wait_exit();
        if outcome == expected {
            return Ok(());
        }
        let what = format!("expected exit: {} — got: {}", expected.describe(), outcome.describe());
        Err(self.error(&what, WaitEnd::Closed))
    }

    /// All serial output so far.
    pub fn transcript(&self) -> String {
        self.serial.text_from(0)
    }

    /// Time since QEMU started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn error(&mut self, what: &str, end: WaitEnd) -> SessionError {
        let why = match (end, self.vm.try_wait()) {
            (_, Some(outcome)) => format!("QEMU exited: {}", outcome.describe()),
            (WaitEnd::Timeout, None) => "session timed out".to_string(),
            (WaitEnd::Closed, None) => "serial port closed".to_string(),
        };
        let transcript = self.transcript();
        let tail = &transcript[transcript.floor_char_boundary(transcript.len().saturating_sub(4000))..];
        SessionError(format!(
            "{what}: {why} after {:.1} s\n--- serial output (last 4000 bytes, from byte {}) ---\n{tail}\n\
             --- QEMU stderr ---\n{}--- end ---",
            self.elapsed().as_secs_f64(),
            self.cursor,
            self.stderr.text_from(0)
        ))
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SessionError {}

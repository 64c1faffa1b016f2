//! `cargo xtask run`'s console: the kernel's serial port on our terminal or our pipes.
//!
//! With a terminal, QEMU owns it (`-serial mon:stdio`; Ctrl-A X quits). Otherwise OVMF would see
//! (and eat) piped input during boot, so QEMU's output is copied to our stdout (firmware escape
//! sequences removed) and our stdin is only forwarded once the first prompt appeared. When our
//! stdin ends, we wait until every forwarded line has been answered by a prompt, then stop QEMU:
//! `printf 'mem\n' | cargo xtask run` terminates, and with `shutdown` the kernel exits first.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::outcome::Outcome;
use crate::qemu::{Vm, VmConfig};
use crate::serial::{SerialLog, WaitEnd, find};
use crate::PROMPT;

/// After our input ended, a console silent this long at its prompt counts as done even if it
/// printed fewer prompts than lines were sent (e.g. if empty lines get none).
const IDLE_AT_PROMPT: Duration = Duration::from_secs(2);

/// Boots `config` with the console attached to our stdio, for at most `timeout`.
pub fn run_console(config: &VmConfig, timeout: Duration) -> Result<Outcome, Error> {
    let deadline = Instant::now() + timeout;
    let mut vm = Vm::spawn(config)?;
    if config.terminal {
        return Ok(vm.wait_until(deadline));
    }
    let stdout = vm.stdout.take().ok_or_else(|| Error::new("QEMU stdout not piped"))?;
    let serial = SerialLog::pump(stdout, Some(Box::new(std::io::stdout())));
    match serial.wait_for(0, PROMPT, deadline) {
        Ok(_) => {}
        Err(WaitEnd::Closed) => return Ok(vm.wait_until(deadline)),
        Err(WaitEnd::Timeout) => {
            vm.stop();
            return Ok(Outcome::Timeout);
        }
    }
    let lines_sent = forward_stdin(&mut vm);
    loop {
        if let Some(outcome) = vm.try_wait() {
            // Let the pump copy QEMU's last words before we return.
            let _ = serial.wait_until(Instant::now() + Duration::from_millis(500), |_, _| None::<()>);
            return Ok(outcome);
        }
        if Instant::now() >= deadline {
            vm.stop();
            return Ok(Outcome::Timeout);
        }
        if let Ok(lines) = lines_sent.recv_timeout(Duration::from_millis(50))
            && wait_for_last_prompt(&serial, lines, deadline)
        {
            eprintln!("\nhayabusa: input ended and the console is at its prompt; stopping QEMU");
            vm.stop();
            return Ok(Outcome::StoppedAtPrompt);
        }
    }
}

/// Copies our stdin to QEMU on a thread; the channel gets the number of lines sent at EOF.
fn forward_stdin(vm: &mut Vm) -> mpsc::Receiver<usize> {
    let (tx, rx) = mpsc::channel();
    let Some(mut qemu) = vm.stdin.take() else {
        let _ = tx.send(0);
        return rx;
    };
    std::thread::spawn(move || {
        let (mut lines, mut last) = (0, b'\n');
        let mut buf = [0u8; 1024];
        let mut stdin = std::io::stdin().lock();
        while let Ok(n @ 1..) = stdin.read(&mut buf) {
            if qemu.write_all(&buf[..n]).and_then(|()| qemu.flush()).is_err() {
                return;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
            last = buf[n - 1];
        }
        if last != b'\n' && qemu.write_all(b"\n").and_then(|()| qemu.flush()).is_ok() {
            lines += 1; // finish a last line typed without Enter
        }
        let _ = tx.send(lines);
    });
    rx
}

/// Waits until the console answered `lines` lines with prompts (or sat idle at a prompt since
/// our input ended: the last line may still be on its way). `false` if QEMU exited or the
/// deadline passed first.
fn wait_for_last_prompt(serial: &SerialLog, lines: usize, deadline: Instant) -> bool {
    let input_ended = Instant::now();
    let done = |bytes: &[u8], quiet: Duration| {
        let quiet = quiet.min(input_ended.elapsed());
        let at_prompt = bytes.ends_with(PROMPT.as_bytes());
        let (mut prompts, mut from) = (0, 0);
        while let Some(at) = find(bytes, from, PROMPT.as_bytes()) {
            prompts += 1;
            from = at + PROMPT.len();
        }
        (at_prompt && (prompts > lines || quiet >= IDLE_AT_PROMPT)).then_some(())
    };
    serial.wait_until(deadline, done).is_ok()
}

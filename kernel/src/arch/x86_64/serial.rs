//! COM1 serial port: the kernel's console. Output is written synchronously (`\n` becomes
//! `\r\n` for terminals in raw mode); input arrives by interrupt into a small ring buffer.
use core::fmt;

use ::x86_64::instructions::interrupts::without_interrupts;
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::spec::registers::IER;
use uart_16550::{BaudRate, Config, Uart16550};

use crate::console::ring::ByteRing;

const COM1_PORT: u16 = 0x3f8;

static COM1: Mutex<Option<Uart16550<PioBackend>>> = Mutex::new(None);
static INPUT: Mutex<ByteRing<1024>> = Mutex::new(ByteRing::new());

/// Initialises COM1 at 115200 8-N-1 with the receive interrupt enabled. Output written before
/// this call is dropped.
pub fn init() -> Result<(), uart_16550::InitError> {
    // SAFETY: 0x3f8..0x3ff is COM1 on every PC and on QEMU; the kernel owns it exclusively
    // from here on, through the `COM1` mutex.
    let mut uart = unsafe { Uart16550::new_port(COM1_PORT) }.expect("0x3f8 is a valid port");
    let config = Config { interrupts: IER::DATA_READY, baud_rate: BaudRate::Baud115200, ..Config::DEFAULT };
    uart.init(config)?;
    without_interrupts(|| *COM1.lock() = Some(uart));
    Ok(())
}

fn write_bytes(uart: &mut Uart16550<PioBackend>, text: &str) {
    for chunk in text.split_inclusive('\n') {
        match chunk.strip_suffix('\n') {
            Some(line) => {
                uart.send_bytes_exact(line.as_bytes());
                uart.send_bytes_exact(b"\r\n");
            }
            None => uart.send_bytes_exact(chunk.as_bytes()),
        }
    }
}

/// Writes formatted text to COM1.
pub fn write_fmt(args: fmt::Arguments) {
    struct Locked<'a>(&'a mut Uart16550<PioBackend>);
    impl fmt::Write for Locked<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            write_bytes(self.0, s);
            Ok(())
        }
    }
    without_interrupts(|| {
        if let Some(uart) = COM1.lock().as_mut() {
            let _ = fmt::Write::write_fmt(&mut Locked(uart), args);
        }
    });
}

/// Writes bytes to COM1 exactly as given (no `\n` translation): terminal control output such
/// as the line editor's echo.
pub fn write_raw(bytes: &[u8]) {
    without_interrupts(|| {
        if let Some(uart) = COM1.lock().as_mut() {
            uart.send_bytes_exact(bytes);
        }
    });
}

/// A writer for fatal paths (exceptions, panics): it takes the port even if the code that was
/// interrupted held the lock, because that code will never run again.
pub struct EmergencyWriter;

impl fmt::Write for EmergencyWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: COM1 is a port-I/O device without memory side effects, and this writer is only
        // used on paths that stop the machine, so breaking the interrupted holder's exclusivity
        // cannot corrupt state that is used afterwards (at worst bytes interleave).
        let mut uart = unsafe { Uart16550::new_port(COM1_PORT) }.expect("0x3f8 is a valid port");
        write_bytes(&mut uart, s);
        Ok(())
    }
}

/// Returns a writer usable from exception and panic handlers.
pub fn emergency_writer() -> EmergencyWriter {
    EmergencyWriter
}

/// Moves every byte waiting in the UART into the input ring. Called from the COM1 interrupt
/// handler (and by `read_byte` as a fallback), always with interrupts disabled.
pub fn drain_input() {
    if let Some(uart) = COM1.lock().as_mut() {
        let mut input = INPUT.lock();
        while let Ok(byte) = uart.try_receive_byte() {
            input.push(byte);
        }
    }
}

/// Takes the next input byte, if one arrived.
pub fn read_byte() -> Option<u8> {
    without_interrupts(|| {
        drain_input();
        INPUT.lock().pop()
    })
}

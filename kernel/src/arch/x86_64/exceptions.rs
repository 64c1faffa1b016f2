//! CPU exception handlers. Every exception the kernel does not resolve itself (a lazy page
//! fault in a reserved range is resolved; a fault at a trap site of compiled Wasm code inside an
//! active call becomes a Wasm trap) prints a report — vector name, error code, RIP with
//! the symbol it falls in, RSP, CR2 for page faults — and stops the machine with a failure
//! exit code.
use core::fmt::Write;

use ::x86_64::VirtAddr;
use ::x86_64::registers::control::Cr2;
use ::x86_64::structures::idt::{InterruptStackFrame, PageFaultErrorCode};

use super::{cpu, qemu, serial};

/// Names of the architecturally defined exception vectors (0..=31).
pub const EXCEPTION_NAMES: [(&str, &str); 32] = [
    ("divide error", "#DE"),
    ("debug", "#DB"),
    ("non-maskable interrupt", "NMI"),
    ("breakpoint", "#BP"),
    ("overflow", "#OF"),
    ("bound range exceeded", "#BR"),
    ("invalid opcode", "#UD"),
    ("device not available", "#NM"),
    ("double fault", "#DF"),
    ("coprocessor segment overrun", "#MF"),
    ("invalid TSS", "#TS"),
    ("segment not present", "#NP"),
    ("stack-segment fault", "#SS"),
    ("general protection fault", "#GP"),
    ("page fault", "#PF"),
    ("reserved", "-"),
    ("x87 floating-point exception", "#MF"),
    ("alignment check", "#AC"),
    ("machine check", "#MC"),
    ("SIMD floating-point exception", "#XM"),
    ("virtualization exception", "#VE"),
    ("control protection exception", "#CP"),
    ("reserved", "-"),
    ("reserved", "-"),
    ("reserved", "-"),
    ("reserved", "-"),
    ("reserved", "-"),
    ("reserved", "-"),
    ("hypervisor injection exception", "#HV"),
    ("VMM communication exception", "#VC"),
    ("security exception", "#SX"),
    ("reserved", "-"),
];

/// Prints the report for `vector` and stops the machine with a failure exit code.
pub fn fatal(vector: u8, frame: &InterruptStackFrame, error_code: Option<u64>, cr2: Option<u64>) -> ! {
    let (name, mnemonic) = EXCEPTION_NAMES[usize::from(vector & 31)];
    let mut out = serial::emergency_writer();
    let _ = writeln!(out, "\n!!! CPU exception: {name} ({mnemonic}, vector {vector})");
    if let Some(code) = error_code {
        if vector == 14 {
            let flags = PageFaultErrorCode::from_bits_truncate(code);
            let _ = writeln!(out, "    error code: {code:#x} ({flags:?})");
        } else {
            let _ = writeln!(out, "    error code: {code:#x}");
        }
    }
    let rip = frame.instruction_pointer.as_u64();
    let _ = write!(out, "    RIP: {rip:#018x}");
    match crate::symbols::lookup(rip) {
        Some(sym) => {
            let _ = writeln!(out, "  {sym}");
        }
        None => {
            let _ = writeln!(out, "  (no symbol)");
        }
    }
    let _ = writeln!(out, "    RSP: {:#018x}", frame.stack_pointer.as_u64());
    let _ = writeln!(out, "    RFLAGS: {:#x}  CS: {:#x}", frame.cpu_flags.bits(), frame.code_segment.0);
    if let Some(addr) = cr2 {
        let _ = writeln!(out, "    CR2: {addr:#x}");
    }
    let _ = writeln!(out, "!!! kernel stopped: unhandled CPU exception");
    qemu::exit_failure();
    cpu::halt_forever()
}

/// If the fault is a trap of compiled Wasm code inside an active call, rewrites the interrupt
/// frame to resume at the entry stub's landing pad and returns true.
fn wasm_trap(vector: u8, frame: &mut InterruptStackFrame) -> bool {
    let rip = frame.instruction_pointer.as_u64();
    let Some(landing) = crate::wasm::trap::redirect(vector, rip) else { return false };
    resume_at_landing(frame, landing);
    true
}

/// Makes the interrupted code resume at `(rip, rsp)` from `wasm::trap` (`redirect` for a trap,
/// `cancel_redirect` for a killed task): the entry stub's landing pad and the stack pointer the
/// stub saved.
pub(super) fn resume_at_landing(frame: &mut InterruptStackFrame, (rip, rsp): (u64, u64)) {
    // SAFETY: the new RIP is the landing pad of the entry stub and the new RSP the value that
    // stub saved below its own frame on this same stack, so `iretq` returns into the stub's
    // epilogue with the stack exactly as it left it; CS, SS and RFLAGS stay those of the
    // interrupted (ring 0) code.
    unsafe {
        frame.as_mut().update(|f| {
            f.instruction_pointer = VirtAddr::new(rip);
            f.stack_pointer = VirtAddr::new(rsp);
        });
    }
}

macro_rules! trappable_handler {
    ($name:ident, $vector:expr) => {
        pub extern "x86-interrupt" fn $name(mut frame: InterruptStackFrame) {
            if !wasm_trap($vector, &mut frame) {
                fatal($vector, &frame, None, None)
            }
        }
    };
}

macro_rules! plain_handler {
    ($name:ident, $vector:expr) => {
        pub extern "x86-interrupt" fn $name(frame: InterruptStackFrame) {
            fatal($vector, &frame, None, None)
        }
    };
}

macro_rules! code_handler {
    ($name:ident, $vector:expr) => {
        pub extern "x86-interrupt" fn $name(frame: InterruptStackFrame, code: u64) {
            fatal($vector, &frame, Some(code), None)
        }
    };
}

trappable_handler!(divide_error, 0);
plain_handler!(debug, 1);
plain_handler!(nmi, 2);
plain_handler!(breakpoint, 3);
plain_handler!(overflow, 4);
plain_handler!(bound_range, 5);
trappable_handler!(invalid_opcode, 6);
plain_handler!(device_not_available, 7);
code_handler!(invalid_tss, 10);
code_handler!(segment_not_present, 11);
code_handler!(stack_segment, 12);
pub extern "x86-interrupt" fn general_protection(mut frame: InterruptStackFrame, code: u64) {
    if !wasm_trap(13, &mut frame) {
        fatal(13, &frame, Some(code), None)
    }
}
plain_handler!(x87_floating_point, 16);
code_handler!(alignment_check, 17);
plain_handler!(simd_floating_point, 19);
plain_handler!(virtualization, 20);
code_handler!(control_protection, 21);
plain_handler!(hv_injection, 28);
code_handler!(vmm_communication, 29);
code_handler!(security, 30);

pub extern "x86-interrupt" fn double_fault(frame: InterruptStackFrame, code: u64) -> ! {
    fatal(8, &frame, Some(code), None)
}

pub extern "x86-interrupt" fn machine_check(frame: InterruptStackFrame) -> ! {
    fatal(18, &frame, None, None)
}

pub extern "x86-interrupt" fn page_fault(mut frame: InterruptStackFrame, code: PageFaultErrorCode) {
    let addr = Cr2::read_raw();
    if crate::mm::handle_page_fault(addr, code) || wasm_trap(14, &mut frame) {
        return;
    }
    fatal(14, &frame, Some(code.bits()), Some(addr))
}

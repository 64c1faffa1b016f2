//! Self-test commands that exercise the kernel's memory code on the real machine: `heaptest`,
//! `vmtest`, and (in test builds) `fault`, which crashes the kernel on purpose.
use alloc::vec::Vec;

use super::commands::Outcome;
use crate::arch::cpu::rdtsc;
use crate::kprintln;

/// Allocates blocks from 16 bytes to 4 MiB, fills and checks them, frees them, and checks the
/// heap's live bytes return to where they were.
pub fn heap(_: &[&str]) -> Outcome {
    let before = crate::mm::heap::stats();
    let mut blocks: Vec<Vec<u64>> = Vec::new();
    let mut words = 2usize;
    while words <= 512 * 1024 {
        let block: Vec<u64> = (0..words as u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ words as u64).collect();
        blocks.push(block);
        words *= 2;
    }
    let during = crate::mm::heap::stats();
    let intact = blocks.iter().all(|b| {
        let n = b.len() as u64;
        b.iter().enumerate().all(|(i, &v)| v == (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ n)
    });
    let count = blocks.len();
    drop(blocks);
    let after = crate::mm::heap::stats();
    let balanced = after.used == before.used;
    if intact && balanced {
        kprintln!(
            "heaptest: ok, {count} blocks up to 4096 KiB, {} KiB live at peak, heap mapped {} -> {} KiB",
            during.used / 1024,
            before.mapped / 1024,
            during.mapped / 1024
        );
    } else {
        kprintln!("heaptest: FAILED (contents intact: {intact}, live bytes {} before, {} after)", before.used, after.used);
    }
    Outcome::Continue
}

const GIB: u64 = 1 << 30;

/// Reserves a Wasm-sized range (4 GiB accessible + 4 GiB guard), touches three pages far apart,
/// checks they read as zero and keep what is written, shrinks the accessible part, releases the
/// range, and checks every frame came back.
/// The accessible part of `vmtest`'s reservation: far more than it touches, well within RAM.
const ACCESSIBLE: u64 = 256 << 20;

pub fn vm(_: &[&str]) -> Outcome {
    // Threads that ended earlier free their stacks now, not in the middle of the measurement.
    crate::sched::reap();
    let before = crate::mm::stats();
    // More accessible memory than the machine has is refused up front (frames are promised
    // when they become accessible), and nothing stays promised.
    let refused = matches!(crate::mm::reserve(8 * GIB, 4 * GIB), Err(crate::mm::ReserveError::OutOfMemory));
    if !refused || crate::mm::stats().promised != before.promised {
        kprintln!("vmtest: FAILED: 4 GiB accessible was not refused cleanly on a machine with less");
        return Outcome::Continue;
    }
    let t0 = rdtsc();
    let res = match crate::mm::reserve(8 * GIB, ACCESSIBLE) {
        Ok(r) => r,
        Err(e) => {
            kprintln!("vmtest: FAILED to reserve: {e:?}");
            return Outcome::Continue;
        }
    };
    let reserve_cycles = rdtsc() - t0;
    let offsets = [0u64, ACCESSIBLE / 2 + 4096 * 3 + 8, ACCESSIBLE - 8];
    let mut ok = true;
    for (i, off) in offsets.iter().enumerate() {
        let ptr = (res.start() + off) as *mut u64;
        // SAFETY: `ptr` is 8-byte aligned and inside the accessible part of a live reservation
        // that nothing else uses, so the access either hits a page mapped for it or faults and
        // gets one mapped by the lazy page-fault path.
        let (was, now) = unsafe {
            let was = ptr.read_volatile();
            ptr.write_volatile(0xfeed_0000 + i as u64);
            (was, ptr.read_volatile())
        };
        ok &= was == 0 && now == 0xfeed_0000 + i as u64;
    }
    let touched = crate::mm::stats();
    let faults = touched.lazy_faults - before.lazy_faults;
    ok &= faults == 3;
    let high_page = res.start() + ACCESSIBLE - 4096;
    ok &= crate::mm::probe(high_page) == Some(true);
    ok &= crate::mm::protect(high_page, false).is_ok() && crate::mm::probe(high_page) == Some(false);
    ok &= crate::mm::protect(high_page, true).is_ok() && crate::mm::probe(high_page) == Some(true);
    ok &= res.set_accessible(64 * 1024).is_ok();
    ok &= crate::mm::probe(high_page).is_none();
    let t1 = rdtsc();
    drop(res);
    let release_cycles = rdtsc() - t1;
    let after = crate::mm::stats();
    let frames_back = after.frames.free == before.frames.free;
    ok &= frames_back && after.reservations == before.reservations && after.promised == before.promised;
    let (steady_reserve, steady_release) = untouched_reserve_release_cycles();
    if ok {
        kprintln!(
            "vmtest: ok, 8 GiB reserved ({} MiB accessible) in {reserve_cycles} cycles, 4 GiB accessible refused, {faults} pages mapped on touch, \
             {} frames in use while touched, released in {release_cycles} cycles, all frames returned",
            ACCESSIBLE >> 20,
            before.frames.free - touched.frames.free
        );
        kprintln!("vmtest: untouched 8 GiB reservation, median of 31: reserve {steady_reserve} cycles, release {steady_release} cycles");
    } else {
        kprintln!(
            "vmtest: FAILED (lazy faults {faults}, free frames {} before / {} after, reservations {} / {})",
            before.frames.free,
            after.frames.free,
            before.reservations,
            after.reservations
        );
    }
    Outcome::Continue
}

/// Median cycles to reserve and to release an untouched 8 GiB range.
fn untouched_reserve_release_cycles() -> (u64, u64) {
    let mut reserve = [0u64; 31];
    let mut release = [0u64; 31];
    for i in 0..31 {
        let t0 = rdtsc();
        let r = crate::mm::reserve(8 * GIB, ACCESSIBLE);
        let t1 = rdtsc();
        drop(r);
        release[i] = rdtsc() - t1;
        reserve[i] = t1 - t0;
    }
    reserve.sort_unstable();
    release.sort_unstable();
    (reserve[15], release[15])
}

/// `fault KIND`: crashes the kernel the chosen way (test builds only).
#[cfg(feature = "test-hooks")]
pub fn fault(args: &[&str]) -> Outcome {
    use crate::arch::faults;
    match args.first().copied() {
        Some("pf") => faults::page_fault(),
        Some("bp") => faults::breakpoint(),
        Some("de") => faults::divide_error(),
        Some("df") => faults::stack_overflow(),
        Some("ud") => faults::invalid_opcode(),
        Some("guard") => {
            let res = crate::mm::reserve(8 * GIB, 64 * 1024).expect("reserve");
            kprintln!("touching guard page at {:#x}", res.start() + 64 * 1024);
            // SAFETY: deliberately faulting: the address is in the reservation's guard part, so
            // the page-fault handler refuses it and stops the kernel with a report.
            unsafe { ((res.start() + 64 * 1024) as *mut u8).write_volatile(1) };
        }
        Some("ro") => {
            let res = crate::mm::reserve(4096, 4096).expect("reserve");
            let ptr = res.start() as *mut u8;
            // SAFETY: the page is in a live reservation's accessible part; it is mapped by the
            // first touch, then made read-only, so the second write faults on purpose.
            unsafe { ptr.write_volatile(1) };
            crate::mm::protect(res.start(), false).expect("protect");
            kprintln!("writing read-only page at {:#x}", res.start());
            // SAFETY: see above: deliberately faulting.
            unsafe { ptr.write_volatile(2) };
        }
        Some("panic") => panic!("test panic"),
        _ => kprintln!("usage: fault pf|bp|de|df|ud|guard|ro|panic"),
    }
    kprintln!("error: the fault did not stop the kernel");
    Outcome::Continue
}

//! Native IPC baselines for `cargo xtask bench ipc --host`: Linux round trips (pipes between two
//! processes and between two threads, a Unix socket pair, futex and eventfd ping-pong) at 0, 64
//! and 1024 bytes, plus cited figures (seL4, L4Re, RedLeaf). Hayabusa's rows (the direct and
//! switch paths, a plain call, the handler alone) come from the hosted runner, another producer
//! of rows, which measures them through the task layer the kernel runs. Each figure is the
//! median and p99 of per-call times over batches of 16 round trips, in TSC cycles and ns;
//! `--cpus 1` pins both parties to CPU 0, `--cpus 2` puts them on CPUs 0 and 1.
//!
//! Usage: `cargo run --release -p hayabusa-compiler-host --example ipc_native -- --programs DIR
//! [--rounds N] [--cpus 1|2] [--rows FILE]`, the interface of xtask's producers: DIR holds the
//! built `pingpong-server.wasm`; the rows go to FILE (without it, to stdout) in xtask's row format
//! (xtask/src/bench_rows.rs, docs/benchmarks.md), one tab-separated line each. `--echo SIZE CPU`
//! is the child process of the pipe baseline.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rustix::thread::{CpuSet, futex};

/// Round trips per timed batch.
const BATCH: usize = 16;
const SIZES: [usize; 3] = [0, 64, 1024];

fn rdtsc() -> u64 {
    // SAFETY: RDTSC exists on every x86-64 CPU and has no memory effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Pins the calling thread to `cpu`.
fn pin(cpu: usize) {
    let mut set = CpuSet::new();
    set.set(cpu);
    if let Err(e) = rustix::thread::sched_setaffinity(None, &set) {
        eprintln!("ipc_native: cannot pin to CPU {cpu}: {e}");
    }
}

/// Untimed round trips before `batches` timed batches.
fn warm_up(batches: usize) -> usize {
    batches.min(100) * BATCH
}

/// Per-call (cycles, ns) of `batches` batches of [`BATCH`] calls of `round`, after a warm-up.
fn time(batches: usize, mut round: impl FnMut()) -> Vec<(f64, f64)> {
    for _ in 0..warm_up(batches) {
        round();
    }
    (0..batches)
        .map(|_| {
            let (t0, c0) = (Instant::now(), rdtsc());
            for _ in 0..BATCH {
                round();
            }
            let (c1, ns) = (rdtsc(), t0.elapsed().as_nanos() as f64);
            ((c1 - c0) as f64 / BATCH as f64, ns / BATCH as f64)
        })
        .collect()
}

/// Median and p99 of each column.
fn stats(mut v: Vec<(f64, f64)>) -> [f64; 4] {
    let pick = |v: &mut Vec<(f64, f64)>, by: fn(&(f64, f64)) -> f64, q: f64| {
        v.sort_by(|a, b| by(a).total_cmp(&by(b)));
        by(&v[((v.len() - 1) as f64 * q) as usize])
    };
    [pick(&mut v, |x| x.0, 0.5), pick(&mut v, |x| x.0, 0.99), pick(&mut v, |x| x.1, 0.5), pick(&mut v, |x| x.1, 0.99)]
}

/// The rows of one run in xtask's row format (xtask/src/bench_rows.rs): placement, system, what,
/// payload bytes (`-`: none), median and p99 cycles, median and p99 ns (`-`: unknown),
/// `measured` or `cited`, separated by tabs.
struct Rows {
    placement: &'static str,
    text: String,
}

impl Rows {
    fn add(&mut self, system: &str, what: &str, payload: Option<usize>, figures: [Option<f64>; 4], source: &str) {
        let bytes = payload.map_or("-".into(), |b| b.to_string());
        let [median, p99, median_ns, p99_ns] = figures.map(|f| f.map_or("-".into(), |f| format!("{f:.0}")));
        let line = [self.placement, system, what, &bytes, &median, &p99, &median_ns, &p99_ns, source].join("\t");
        let carried = payload.map_or("no message".into(), |b| format!("{b} B"));
        println!("{system}: {what}, {carried}: median {median} cycles, p99 {p99} ({source})");
        self.text.push_str(&line);
        self.text.push('\n');
    }

    fn measured(&mut self, system: &str, what: &str, payload: Option<usize>, s: [f64; 4]) {
        self.add(system, what, payload, s.map(Some), "measured");
    }

    fn cited(&mut self, system: &str, what: &str, cycles: f64) {
        self.add(system, what, Some(0), [Some(cycles), None, None, None], "cited");
    }
}

/// Bytes a pipe or socket round trip carries: at least one (a 0-byte write wakes nobody).
fn wire(size: usize) -> usize {
    size.max(1)
}

/// The child of the process pipe baseline: echoes `size`-byte messages from stdin to stdout.
fn echo(size: usize, cpu: usize) {
    pin(cpu);
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    let mut buf = vec![0u8; wire(size)];
    while input.read_exact(&mut buf).is_ok() {
        if output.write_all(&buf).and_then(|()| output.flush()).is_err() {
            break;
        }
    }
}

fn pipe_processes(size: usize, batches: usize, cpus: [usize; 2]) -> [f64; 4] {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["--echo", &size.to_string(), &cpus[1].to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawning the echo process");
    let (mut to, mut from) = (child.stdin.take().expect("piped"), child.stdout.take().expect("piped"));
    let mut buf = vec![7u8; wire(size)];
    let s = stats(time(batches, || {
        to.write_all(&buf).expect("write");
        from.read_exact(&mut buf).expect("read");
    }));
    drop(to);
    let _ = child.wait();
    s
}

/// A round trip over a pair of byte streams to an echo thread on `cpus[1]`.
fn streams<S: Read + Write + Send + 'static>(mut mine: S, mut theirs: S, size: usize, batches: usize, cpus: [usize; 2]) -> [f64; 4] {
    let n = wire(size);
    let echo = std::thread::spawn(move || {
        pin(cpus[1]);
        let mut buf = vec![0u8; n];
        while theirs.read_exact(&mut buf).is_ok() && theirs.write_all(&buf).is_ok() {}
    });
    let mut buf = vec![7u8; n];
    let s = stats(time(batches, || {
        mine.write_all(&buf).expect("write");
        mine.read_exact(&mut buf).expect("read");
    }));
    drop(mine);
    let _ = echo.join();
    s
}

/// Two anonymous pipes as one duplex stream.
struct Duplex(std::io::PipeReader, std::io::PipeWriter);

impl Read for Duplex {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Duplex {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.1.flush()
    }
}

fn pipe_threads(size: usize, batches: usize, cpus: [usize; 2]) -> [f64; 4] {
    let (r1, w1) = std::io::pipe().expect("pipe");
    let (r2, w2) = std::io::pipe().expect("pipe");
    streams(Duplex(r1, w2), Duplex(r2, w1), size, batches, cpus)
}

fn socket_pair(size: usize, batches: usize, cpus: [usize; 2]) -> [f64; 4] {
    let (a, b) = UnixStream::pair().expect("socketpair");
    streams(a, b, size, batches, cpus)
}

/// Futex ping-pong: a word that says whose turn it is (0: ours, 1: theirs, 2: stop).
fn futex_pingpong(batches: usize, cpus: [usize; 2]) -> [f64; 4] {
    let turn = Arc::new(AtomicU32::new(0));
    let wait_while = |turn: &AtomicU32, value: u32| {
        while turn.load(Ordering::Acquire) == value {
            let _ = futex::wait(turn, futex::Flags::PRIVATE, value, None);
        }
    };
    let theirs = turn.clone();
    let other = std::thread::spawn(move || {
        pin(cpus[1]);
        loop {
            wait_while(&theirs, 0);
            if theirs.load(Ordering::Acquire) == 2 {
                break;
            }
            theirs.store(0, Ordering::Release);
            let _ = futex::wake(&theirs, futex::Flags::PRIVATE, 1);
        }
    });
    let s = stats(time(batches, || {
        turn.store(1, Ordering::Release);
        let _ = futex::wake(&turn, futex::Flags::PRIVATE, 1);
        wait_while(&turn, 1);
    }));
    turn.store(2, Ordering::Release);
    let _ = futex::wake(&turn, futex::Flags::PRIVATE, 1);
    let _ = other.join();
    s
}

fn eventfd_pingpong(batches: usize, cpus: [usize; 2]) -> [f64; 4] {
    use rustix::event::{EventfdFlags, eventfd};
    let ping = std::fs::File::from(eventfd(0, EventfdFlags::CLOEXEC).expect("eventfd"));
    let pong = std::fs::File::from(eventfd(0, EventfdFlags::CLOEXEC).expect("eventfd"));
    let (their_ping, their_pong) = (ping.try_clone().expect("dup"), pong.try_clone().expect("dup"));
    // As many as [`time`] makes (fewer than N = 1600 used to leave this thread waiting).
    let rounds = warm_up(batches) + batches * BATCH;
    let other = std::thread::spawn(move || {
        pin(cpus[1]);
        let (mut ping, mut pong) = (their_ping, their_pong);
        let mut word = [0u8; 8];
        for _ in 0..rounds {
            ping.read_exact(&mut word).expect("read");
            pong.write_all(&1u64.to_ne_bytes()).expect("write");
        }
    });
    let (mut ping, mut pong) = (ping, pong);
    let mut word = [0u8; 8];
    let s = stats(time(batches, || {
        ping.write_all(&1u64.to_ne_bytes()).expect("write");
        pong.read_exact(&mut word).expect("read");
    }));
    let _ = other.join();
    s
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--echo") {
        let n = |i: usize| args.get(i).and_then(|a| a.parse().ok()).expect("--echo SIZE CPU");
        echo(n(1), n(2));
        return;
    }
    let usage = "usage: ipc_native --programs DIR [--rounds N] [--cpus 1|2] [--rows FILE]";
    let (mut programs, mut rows_file) = (None, None);
    let mut rounds = 10_000usize;
    let mut cpus = [0, 1];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value\n{usage}"));
        match a.as_str() {
            "--programs" => programs = Some(std::path::PathBuf::from(value())),
            "--rows" => rows_file = Some(value().clone()),
            "--rounds" => rounds = value().parse().ok().filter(|n| *n > 0).expect(usage),
            "--cpus" => match value().as_str() {
                "1" => cpus = [0, 0],
                "2" => cpus = [0, 1],
                _ => panic!("{usage}"),
            },
            _ => panic!("unknown argument `{a}`\n{usage}"),
        }
    }
    // The programs folder is part of the producers' interface; these baselines need none of it.
    let _ = programs.expect(usage);
    let batches = rounds.div_ceil(BATCH);
    pin(cpus[0]);
    let (placement, cpu_text) = if cpus[0] == cpus[1] { ("one CPU", "both on CPU 0") } else { ("two CPUs", "CPUs 0 and 1") };
    println!("{} round trips each ({batches} batches of {BATCH}), {cpu_text}, native (no emulation)", batches * BATCH);
    let mut rows = Rows { placement, text: String::new() };
    for size in SIZES {
        rows.measured("Linux", "pipe ping-pong, two processes", Some(size), pipe_processes(size, batches, cpus));
        rows.measured("Linux", "pipe ping-pong, two threads", Some(size), pipe_threads(size, batches, cpus));
        rows.measured("Linux", "Unix socket pair, two threads", Some(size), socket_pair(size, batches, cpus));
    }
    rows.measured("Linux", "futex ping-pong, two threads (no payload)", Some(0), futex_pingpong(batches, cpus));
    rows.measured("Linux", "eventfd ping-pong, two threads (no payload)", Some(0), eventfd_pingpong(batches, cpus));
    rows.cited("seL4", "call + reply (Skylake, seL4 performance page)", 757.0);
    rows.cited("L4Re", "single IPC between two tasks, TSC (Xeon Platinum 8352S, l4re.org/perf)", 934.0);
    rows.cited("RedLeaf", "cross-domain call (OSDI 2020)", 124.0);
    println!("(Pipe and socket rows with 0 B payload carry 1 byte: an empty write wakes nobody.)");
    match rows_file {
        Some(file) => std::fs::write(&file, &rows.text).unwrap_or_else(|e| panic!("writing {file}: {e}")),
        None => print!("{}", rows.text),
    }
}

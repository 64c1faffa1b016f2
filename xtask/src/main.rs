//! `cargo xtask`: the single entry point to build, boot and test Hayabusa. One file per subcommand.

#![forbid(unsafe_code)]

mod bench;
mod bench_host;
mod bench_http;
mod bench_instructions;
mod bench_http_report;
mod bench_ipc;
mod bench_load;
mod bench_plot;
mod bench_rows;
mod build;
mod cargo;
mod clang;
mod differential;
mod dump;
mod exec;
mod extra;
mod host;
mod hostile;
mod lint;
mod options;
mod programs;
mod run;
mod spectest;
mod spectest_kernel;
mod spin_check;
mod test;
mod www;

use std::process::ExitCode;

const USAGE: &str = "\
cargo xtask — build, boot and test Hayabusa

USAGE:
    cargo xtask <COMMAND> [OPTIONS]

COMMANDS:
    build    Build the kernel and pack the UEFI disk image
             (target/hayabusa/<profile>/hayabusa-run.img)
    run      Build, then boot in QEMU with the serial console on this terminal.
             Piped input is typed at the console once the first prompt appears;
             when it ends, QEMU is stopped at the next prompt (exit 0), unless the
             kernel exits first (`shutdown`).
    host     Pack the same ramdisk and run its programs natively on Linux with the
             hosted runner (hosted/, release build): the boot tasks start, then the
             console's task commands (run, spawn, kill, ps, services, bench ipc, echo,
             shutdown) are read from stdin; exits 0 at `shutdown` or the end of input.
             Takes --program and --manifest as run does.
    test     Host unit tests (cargo test), then build the kernel with
             `--features test-hooks` and run the boot tests (tests/) under QEMU,
             every test binary even after a failure (the image also carries the
             fixtures of tests/fixtures/, added as --program adds them).
             Exits 0 only if every test passed and at least one ran.
    spectest [DIR] Run the Wasm spec suite (default ../shared/wasm-testsuite) through
             the compiler on the host; skips are listed in kernel/compiler/spectest-skips.txt
             (a listed directive still runs: one that passes fails the run as a stale skip).
             Options: --opt none|speed, --bounds guard|explicit, --cpu host|x86-64-v2 (the
             extensions code may use: the host's, or SSE4.2 without AVX), --file NAME,
             --verbose (every failure, and every skipped directive with its feature)
             --kernel: the same files inside the booted release kernel (console command
             `spectest`, one boot per 64 files; also --accel, --timeout per boot), with the
             kernel's own memory, traps and stacks; counts as on the host
    differential [--count N] [--seed S] [--opt none|speed] [--bounds guard|explicit]
             [--fuel F] [--rounds R]
             wasm-smith modules (seeds S.., default 0 and 10000) run here and on wasmi with
             random arguments, results / trap kinds / memory hash compared (release build);
             on a mismatch prints the seed and writes the module. `cargo xtask test` runs
             1,200 seeds (kernel/compiler/differential/tests).
    exec FILE.wasm --invoke NAME [ARGS...]
             Compile on the host and call an export; prints each result on its own line
             (floats also as bits). Exit 3 on a trap. Options: --opt, --bounds
    dump FILE.wasm [--func NAME|INDEX] [--clif] [--asm] [--opt none|speed]
             Per-function code size and compile time; with --func (or --clif/--asm) the
             CLIF before/after optimisation and the x86-64 disassembly by Wasm operator
    lint     clippy, warnings as errors: the kernel (x86_64-unknown-none) and all host crates
    bench compile [FILE.wasm...]
             Compile throughput at both opt levels (default: the Rust sample, built for wasm32)
    bench ipc [N] [--debug] [--markdown] [--steps]
             Boot the release kernel headless, run the console command `bench ipc N`
             (default N 1000: IPC round trips per payload and path, timed from the caller's
             Wasm code) and print its table with the accelerator, host CPU and QEMU version;
             exit 1 if it failed. --steps: a kernel with rdtsc checkpoints along the direct
             path (feature ipc-steps), which also prints each step's median.
             Also takes --accel and --timeout (default 1800 s)
    bench ipc --host [N] [--runs R] [--docs] | --host --instructions
             Native, no QEMU: Hayabusa's IPC paths (hosted runner), Linux IPC baselines
             and Hayabusa's floors from each producer of rows, one CPU then two, R runs
             (default 5; each figure the median of the runs'); a markdown table per placement and an
             SVG plot in target/bench/ (ipc-host.md, .svg, .tsv); --docs copies the plot
             to docs/bench-ipc-host.svg. --instructions: the instructions one direct
             0 B round trip executes (callgrind, two runs; needs valgrind)
    bench http [--requests N] [--connections C] [--docs]
             The web server (http.wasm) measured from the host with a real HTTP client,
             in the release kernel under QEMU (TCG here: tcpip over virtio-net, QEMU's port
             forward) and on the hosted runner (native tcpip on host sockets) in one run:
             requests/s and latency p50/p99/mean of `/`, `/index.html` and `/api/tasks`
             over C keep-alive connections (default 8) and over one, N requests each
             (default 2000), and MB/s of the 1 MiB `/big.bin`; a markdown table of both and
             their ratio; exit 1 if any request failed. --docs: the table into
             docs/benchmarks.md. Also takes --accel and --timeout

OPTIONS:
    --release          Build with the release profile
    --accel MODE       auto (default): KVM if it really works here, else TCG; tcg; kvm
    --timeout SECS     run: stop QEMU after SECS (default 120 when stdin is not a
                       terminal, 3600 when it is); test: limit per boot (default 120)
    --program FILE     build, run, host: add the module FILE (.wasm, or .wat compiled here) to
                       the ramdisk as STEM.wasm, with the manifest entry
                         [STEM]  file = STEM.wasm, reach = console, boot = no
                       so that `run STEM` starts it. STEM (the file name without its
                       extension) must be a free task name (1-32 bytes of a-z A-Z 0-9 - _ .).
                       Repeatable.
    --manifest FRAG    build, run, host: append the manifest sections in the file FRAG (format:
                       docs/abi.md); a section named like a --program's STEM replaces that
                       program's default entry. Repeatable. Both are checked before building
                       (usage error, exit 2); a module the kernel cannot compile is reported
                       at `run STEM`.
    --http-port PORT   run: the VM has a virtio-net NIC on QEMU's user network, with host
                       127.0.0.1:PORT forwarded to the guest's port 80 (default 8080; 0: no
                       forwarding)
    -- ARGS            test only: passed to the boot tests' harness (e.g. a name filter)
    -h, --help         Show this help

EXIT STATUS (run):
    0 kernel reported success (shutdown) or input ended at a prompt; 1 kernel reported
    failure; 3 guest reset (likely triple fault); 4 QEMU failed; 124 timeout; 2 usage.

ENVIRONMENT:
    HAYABUSA_QEMU, HAYABUSA_OVMF_CODE, HAYABUSA_OVMF_VARS   use these instead of searching
    If QEMU or OVMF is missing and we run as root, they are installed with apt-get; so are
    clang and lld (for examples/hello-c). Not as root, a missing QEMU stops with the command
    to run; missing clang builds the image without hello-c (its tests then fail).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        return usage_error("no command given");
    };
    let rest = &args[1..];
    let result = match command.as_str() {
        "build" => build::main(rest),
        "run" => run::main(rest),
        "host" => host::main(rest),
        "test" => test::main(rest),
        "spectest" => spectest::main(rest),
        "differential" => differential::main(rest),
        "exec" => exec::main(rest),
        "dump" => dump::main(rest),
        "bench" => bench::main(rest),
        "lint" => lint::main(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => return usage_error(&format!("unknown command `{other}`")),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(message)) => usage_error(&message),
        Err(Failure::Error(message)) => {
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Why a subcommand did not run to its own verdict.
#[derive(Debug)]
pub enum Failure {
    /// Bad command line: usage is printed, exit status 2.
    Usage(String),
    /// Something failed (build, tools, ...): the message is printed, exit status 1.
    Error(String),
}

impl From<hayabusa_boot::Error> for Failure {
    fn from(err: hayabusa_boot::Error) -> Failure {
        Failure::Error(err.to_string())
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("xtask: {message}\n\n{USAGE}");
    ExitCode::from(2)
}

//! `cargo xtask bench http [--requests N] [--connections C] [--docs]`: the web server
//! (`servers/http`, http.wasm) measured from the host with a real HTTP client, twice in one run:
//! in the release kernel under QEMU (tcpip over the virtio-net driver, through QEMU's port
//! forward) and on the hosted runner (the same http.wasm over the runner's native tcpip on host
//! sockets). Requests per second and latency for three pages, over C keep-alive connections and
//! over one, and the throughput of a 1 MiB download; a markdown table of both systems and their
//! ratio (`bench_http_report.rs`), with `--docs` also written to docs/benchmarks.md. Any failed
//! request fails the command.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use hayabusa_boot::{Net, Outcome, Session, SessionError, VmConfig};

use crate::bench_load::{self, Run, Target};
use crate::options::Options;
use crate::{Failure, bench_host, bench_http_report, bench_ipc, build, host, programs, www};

const HELP: &str = "\
usage: cargo xtask bench http [--requests N] [--connections C] [--docs] [--accel auto|tcg|kvm] [--timeout SECS]
    --requests N     requests per page and number of connections (default 2000)
    --connections C  concurrent keep-alive connections, one client thread each (default 8, at most 256)
    --docs           also write the table to docs/benchmarks.md (section \"Web server\")
    --accel          as for run (default auto: here TCG, unless KVM really works)
    --timeout        limit for each system's whole session: start, measurements, shutdown (default 1800 s)";

const DEFAULT_REQUESTS: usize = 2000;
const DEFAULT_CONNECTIONS: usize = 8;
/// Downloads of `/big.bin`; the median counts.
const DOWNLOADS: usize = 5;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// What `http` prints once it listens.
const SERVING: &str = "http: serving on port 80";

/// One row of the table: what is fetched, how often, over how many connections.
pub struct Case {
    pub what: &'static str,
    pub path: &'static str,
    pub connections: usize,
    pub requests: usize,
    /// A download: its figure is MB/s of the median download, not requests/s.
    pub download: bool,
}

/// The pages measured: what they are, their path.
const PAGES: [(&str, &str); 3] =
    [("`GET /` (status page, dynamic)", "/"), ("`GET /index.html` (static file)", "/index.html"), ("`GET /api/tasks` (JSON)", "/api/tasks")];

/// Every row: each page over `connections` connections and over one, then the download.
fn cases(requests: usize, connections: usize) -> Vec<Case> {
    let mut cases = Vec::new();
    for (what, path) in PAGES {
        for connections in [connections, 1] {
            cases.push(Case { what, path, connections, requests, download: false });
        }
    }
    cases.push(Case { what: "`GET /big.bin` (1 MiB file)", path: "/big.bin", connections: 1, requests: DOWNLOADS, download: true });
    cases
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let (mut requests, mut connections, mut docs) = (DEFAULT_REQUESTS, DEFAULT_CONNECTIONS, false);
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut count = |name: &str| {
            it.next()
                .and_then(|n| n.parse().ok())
                .filter(|&n| (1..=1_000_000).contains(&n))
                .ok_or_else(|| Failure::Usage(format!("bench http: {name} takes a number 1..=1000000\n{HELP}")))
        };
        match arg.as_str() {
            "--requests" => requests = count("--requests")?,
            "--connections" => connections = count("--connections")?.min(256),
            "--docs" => docs = true,
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(ExitCode::SUCCESS);
            }
            _ => rest.push(arg.clone()),
        }
    }
    let mut options = Options::parse(&rest, &["--accel", "--timeout"])?;
    options.release = true;
    let timeout = options.timeout.unwrap_or(DEFAULT_TIMEOUT);

    let built = build::build(&options, build::Variant::Run)?;
    let (runner, ramdisk) = host::prepare(&options, "host", true)?;
    let tools = hayabusa_boot::ensure_tools()?;
    let accel = options.accel.resolve(&tools, &built.work_dir)?;
    let files = www::files()?;
    let file = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, bytes)| bytes.as_slice());
    let (index, big) = (file("www/index.html"), file("www/big.bin"));
    let target = |path: &'static str| Target {
        path,
        body: match path {
            "/index.html" => index,
            "/big.bin" => big,
            _ => None,
        },
    };
    let cases = cases(requests, connections);
    let targets: Vec<Target> = cases.iter().map(|c| target(c.path)).collect();

    let machine = bench_http_report::Machine {
        host: bench_host::machine(std::thread::available_parallelism().map_or(0, |n| n.get())),
        qemu: bench_ipc::qemu_version(&tools.qemu),
        accel: bench_ipc::accel_name(accel),
        commit: commit(&programs::root()),
    };
    let command = format!("cargo xtask bench http --requests {requests} --connections {connections}");
    println!("{}", machine.describe());
    println!("command: {command}");

    eprintln!("xtask: the hosted runner (native tcpip on host sockets)");
    let native = serve(timeout, &cases, &targets, |port| {
        let mut command = Command::new(&runner);
        command.arg("--tcp-port").arg(format!("80={port}")).arg(&ramdisk);
        hosted(command, timeout)
    })?;
    eprintln!("xtask: the release kernel under QEMU {} (tcpip over virtio-net, QEMU's port forward)", machine.accel);
    let kernel = serve(timeout, &cases, &targets, |port| {
        let net = Some(Net { http_port: Some(port) });
        let config =
            VmConfig { tools, accel, image: Some(built.image), work_dir: built.work_dir, terminal: false, capture_stderr: true, net };
        booted(&config, timeout)
    })?;

    let table = bench_http_report::table(&machine, &cases, &kernel, &native);
    println!("\n{table}");
    let mut failed = 0;
    for (system, runs) in [(machine.accel_column(), &kernel), ("native", &native)] {
        let errors: Vec<&String> = runs.iter().flat_map(|r| &r.errors).collect();
        println!("errors ({system}): {}{}", errors.len(), errors.first().map_or(String::new(), |e| format!(", the first: {e}")));
        failed += errors.len();
    }
    if failed > 0 {
        return Err(Failure::Error(format!("{failed} requests failed (see above); docs/benchmarks.md not written")));
    }
    if docs {
        let path = programs::root().join("docs/benchmarks.md");
        let text = std::fs::read_to_string(&path).map_err(|e| Failure::Error(format!("reading {}: {e}", path.display())))?;
        let section = bench_http_report::section(&machine, &command, &table, DOWNLOADS);
        let text = bench_http_report::replace_section(&text, &section);
        std::fs::write(&path, text).map_err(|e| Failure::Error(format!("writing {}: {e}", path.display())))?;
        println!("written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts a system with `start(port)` (a free host port), waits until it serves there, measures
/// every case against it and shuts it down.
fn serve(
    timeout: Duration,
    cases: &[Case],
    targets: &[Target],
    start: impl FnOnce(u16) -> Result<Session, Failure>,
) -> Result<Vec<Run>, Failure> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| Failure::Error(format!("finding a free port: {e}")))?
        .port();
    let mut session = start(port)?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_listening(addr, timeout.min(Duration::from_secs(60)))?;
    let mut runs = Vec::new();
    for (case, target) in cases.iter().zip(targets) {
        eprintln!("xtask:   {} × {} over {} connection(s)", case.requests, case.path, case.connections);
        runs.push(bench_load::run(addr, target, case.requests, case.connections));
    }
    let fail = |e: SessionError| Failure::Error(e.to_string());
    session.send("shutdown\n").map_err(fail)?;
    session.expect_exit(Outcome::Success).map_err(fail)?;
    Ok(runs)
}

/// Boots the kernel; returns once `http` serves (the manifest starts the network stack at boot
/// where there is a virtio-net NIC).
fn booted(config: &VmConfig, timeout: Duration) -> Result<Session, Failure> {
    let mut session = Session::start(config, timeout)?;
    let fail = |e: SessionError| Failure::Error(e.to_string());
    session.expect_prompt().map_err(fail)?;
    // The boot tasks start before the prompt, but `http` may print after it.
    if !session.transcript().contains(SERVING) {
        session.expect(SERVING).map_err(fail)?;
    }
    Ok(session)
}

/// Starts the hosted runner (`command`, its options and ramdisk given), then `tcpip` and `http`
/// in it (the manifest boots them only where there is a NIC); returns once `http` serves.
fn hosted(command: Command, timeout: Duration) -> Result<Session, Failure> {
    let mut session = Session::start_process(command, timeout)?;
    let fail = |e: SessionError| Failure::Error(e.to_string());
    session.expect_prompt().map_err(fail)?;
    session.send("run tcpip\n").map_err(fail)?;
    session.expect("(tcpip)").map_err(fail)?;
    session.send("run http\n").map_err(fail)?;
    session.expect(SERVING).map_err(fail)?;
    Ok(session)
}

/// Waits until `addr` accepts connections, up to `limit`.
fn wait_listening(addr: SocketAddr, limit: Duration) -> Result<(), Failure> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(Failure::Error(format!("nothing listens on {addr} after {} s", limit.as_secs())))
}

/// `git rev-parse --short HEAD` in `root`.
fn commit(root: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map_or("unknown".into(), |out| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

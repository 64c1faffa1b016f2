//! `cargo xtask bench ipc --host [N] [--runs R] [--docs]`: native IPC figures on this machine's
//! CPU, no emulator. Runs every producer once per placement, R times over (the producers
//! alternating), merges each run's rows and combines the runs (`bench_rows.rs`: each figure is
//! the median of the runs' figures, shown with the lowest and highest run median), and
//! writes one markdown table per placement to `target/bench/ipc-host.md`, a plot to
//! `target/bench/ipc-host.svg` (`bench_plot.rs`) and the merged rows to `target/bench/ipc-host.tsv`;
//! `--docs` copies the plot to `docs/bench-ipc-host.svg`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use crate::bench_rows::{self, Placement, Row, Source};
use crate::{Failure, bench_plot, cargo, programs};

/// A program that measures rows. It is run once per placement as `cargo run -q --release
/// CARGO... -- --programs DIR --rounds N --cpus 1|2 --rows FILE`: DIR holds `manifest` (as the
/// ramdisk packs it) and every module it names, N is the round trips per row, FILE is where it writes
/// its rows (format: `bench_rows.rs`). Its stdout is shown as it runs; its stderr is shown after
/// it, and is part of the error when it fails.
struct Producer {
    /// Short name, for messages and its rows' files.
    name: &'static str,
    /// The `cargo run` arguments that select it: package and target.
    cargo: &'static [&'static str],
}

/// Every producer, in the order their rows are listed: adding one is one line.
const PRODUCERS: &[Producer] = &[
    // Hayabusa's direct and switch paths, plain call and handler, through the task layer (hosted/).
    Producer { name: "hayabusa-host", cargo: &["-p", "hayabusa-hosted", "--bin", "hayabusa-host"] },
    // Linux baselines, Hayabusa's plain-call and handler floors, cited figures.
    Producer { name: "ipc_native", cargo: &["-p", "hayabusa-compiler-host", "--example", "ipc_native"] },
];

/// The round trip that every row is compared with (`pipe ÷ this`): system and what.
const REFERENCE: (&str, &str) = ("Linux", "pipe ping-pong, two processes");

pub fn main(rounds: u32, runs: u32, docs: bool) -> Result<ExitCode, Failure> {
    let root = programs::root();
    let out = cargo::target_dir()?.join("bench");
    let modules = out.join("programs");
    write_programs(&modules)?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let machine = machine(cpus);
    let commit = commit(&root);
    println!("machine: {machine}, native (no emulator); commit {commit}; {runs} run(s)");
    if cpus < 2 {
        println!("(one CPU only: no run across two)");
    }

    // Run after run, every producer in each: whatever slows the machine down for a while
    // (another guest on the same core, say) falls on all of them alike.
    let mut per_run = Vec::new();
    for run in 1..=runs {
        let mut sets = Vec::new();
        for placement in Placement::ALL {
            if placement == Placement::TwoCpus && cpus < 2 {
                continue;
            }
            for producer in PRODUCERS {
                let file = out.join("rows").join(format!("{}-cpus{}-run{run}.tsv", producer.name, placement.cpus()));
                sets.push(produce(producer, &modules, rounds, placement, &file)?);
            }
        }
        per_run.push(bench_rows::merge(sets).map_err(Failure::Error)?);
    }
    let rows = bench_rows::combine(per_run).map_err(Failure::Error)?;

    let command = format!("cargo xtask bench ipc --host {rounds} --runs {runs}");
    let markdown = markdown(&rows, &format!("Machine: {machine}, native (no emulator). `{command}` at commit {commit}."));
    let (md, svg, tsv) = (out.join("ipc-host.md"), out.join("ipc-host.svg"), out.join("ipc-host.tsv"));
    write(&md, markdown.as_bytes())?;
    write(&tsv, bench_rows::write(&rows).as_bytes())?;
    let title = format!("IPC round trips, native: {machine}");
    bench_plot::render(&rows, &title, &format!("{command}, commit {commit}"), &svg).map_err(Failure::Error)?;
    println!("\n{markdown}");
    println!("markdown: {}\nplot: {}\nall rows: {}", md.display(), svg.display(), tsv.display());
    if docs {
        let copy = root.join("docs/bench-ipc-host.svg");
        std::fs::copy(&svg, &copy).map_err(|e| Failure::Error(format!("copying the plot to {}: {e}", copy.display())))?;
        println!("plot copied to {}", copy.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let parent = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(parent)
        .and_then(|()| std::fs::write(path, bytes))
        .map_err(|e| Failure::Error(format!("writing {}: {e}", path.display())))
}

/// `--instructions`: the programs written as for the timed runs, then counted.
pub fn instructions() -> Result<ExitCode, Failure> {
    let target = cargo::target_dir()?;
    let modules = target.join("bench").join("programs");
    write_programs(&modules)?;
    crate::bench_instructions::main(&target, &modules)
}

/// Builds the Wasm programs and writes each module as `dir/NAME.wasm`, with the manifest that
/// names them as `dir/manifest`.
fn write_programs(dir: &Path) -> Result<(), Failure> {
    let target = cargo::target_dir()?;
    let built = programs::build(&target, &programs::manifest()?)?;
    for (name, bytes) in &built.modules {
        write(&dir.join(name), bytes)?;
    }
    write(&dir.join("manifest"), built.manifest.as_bytes())
}

/// Runs `producer` for `placement` and returns its rows, named by their file.
fn produce(producer: &Producer, modules: &Path, rounds: u32, placement: Placement, file: &Path) -> Result<(String, Vec<Row>), Failure> {
    let mut command = cargo::command();
    command.args(["run", "-q", "--release"]).args(producer.cargo).arg("--");
    command.arg("--programs").arg(modules).args(["--rounds", &rounds.to_string(), "--cpus", placement.cpus(), "--rows"]).arg(file);
    let shown = std::iter::once(command.get_program()).chain(command.get_args()).map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");
    // No stale rows: the file must come from this run.
    match std::fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Failure::Error(format!("removing {}: {e}", file.display()))),
        _ => std::fs::create_dir_all(file.parent().expect("a file in a folder"))
            .map_err(|e| Failure::Error(format!("creating the folder of {}: {e}", file.display())))?,
    }
    eprintln!("\nxtask: {} ({}): {shown}", producer.name, placement.name());
    let output = command
        .stdout(Stdio::inherit())
        .output()
        .map_err(|e| Failure::Error(format!("{}: cannot start `{shown}`: {e}", producer.name)))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(Failure::Error(format!("{} failed ({}): `{shown}`; its stderr:\n{}", producer.name, output.status, stderr.trim_end())));
    }
    eprint!("{stderr}");
    let origin = file.display().to_string();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::Error(format!("{} wrote no rows to {origin} ({e}): `{shown}`", producer.name)))?;
    let rows = bench_rows::parse(&text, &origin).map_err(Failure::Error)?;
    if rows.is_empty() {
        return Err(Failure::Error(format!("{} wrote no rows to {origin}: `{shown}`", producer.name)));
    }
    if let Some(row) = rows.iter().find(|r| r.placement != placement) {
        return Err(Failure::Error(format!(
            "{origin}: row `{}` says `{}`, but the run was for `{}` (--cpus {})",
            row.label(),
            row.placement.name(),
            placement.name(),
            placement.cpus()
        )));
    }
    Ok((origin, rows))
}

/// "AMD EPYC, 2 logical CPUs, under a hypervisor", from /proc/cpuinfo.
pub(crate) fn machine(cpus: usize) -> String {
    let virtual_machine = std::fs::read_to_string("/proc/cpuinfo")
        .is_ok_and(|info| info.lines().any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor")));
    let under = if virtual_machine { ", under a hypervisor" } else { "" };
    format!("{}, {cpus} logical CPUs{under}", crate::bench_ipc::host_cpu())
}

/// The commit measured: `git describe`'s short hash, `-dirty` with uncommitted changes.
fn commit(root: &Path) -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty", "--exclude", "*"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map_or("unknown".into(), |out| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn payload(row: &Row) -> String {
    row.payload.map_or("—".into(), |b| format!("{b} B"))
}

/// How many times faster than [`REFERENCE`] at the same payload (0 B for rows without one).
fn versus_pipe(rows: &[Row], row: &Row) -> Option<f64> {
    let reference = |bytes: u64| {
        rows.iter().find(|r| {
            (r.placement, r.source, r.system.as_str(), r.what.as_str(), r.payload)
                == (row.placement, Source::Measured, REFERENCE.0, REFERENCE.1, Some(bytes))
        })
    };
    let pipe = reference(row.payload.unwrap_or(0)).or_else(|| reference(0))?;
    Some(pipe.median_cycles / row.median_cycles)
}

/// One table per placement, `intro` above them, what the last column means below.
pub fn markdown(rows: &[Row], intro: &str) -> String {
    let mut text = format!("{intro}\n");
    for placement in Placement::ALL {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.placement == placement).collect();
        if mine.is_empty() {
            continue;
        }
        let heading = match placement {
            Placement::OneCpu => "Both parties pinned to CPU 0 (one CPU)",
            Placement::TwoCpus => "Across CPUs 0 and 1 (two CPUs)",
        };
        let _ = write!(
            text,
            "\n{heading}:\n\n| what | payload | median cycles | run medians | p99 cycles | median ns | p99 ns | pipe ÷ this |\n"
        );
        text.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for row in mine {
            let number = |n: Option<f64>| n.map_or(String::new(), |n| format!("{n:.0}"));
            let label = match row.source {
                Source::Measured => row.label(),
                Source::Cited => format!("cited, not measured here: {}", row.label()),
            };
            let ratio = versus_pipe(rows, row).map_or(String::new(), |r| if r >= 10.0 { format!("{r:.0}×") } else { format!("{r:.2}×") });
            let spread = match (row.source, row.spread) {
                (Source::Measured, Some((low, high))) => format!("{low:.0}–{high:.0}"),
                _ => String::new(),
            };
            let _ = writeln!(
                text,
                "| {label} | {} | {} | {spread} | {} | {} | {} | {ratio} |",
                payload(row),
                number(Some(row.median_cycles)),
                number(row.p99_cycles),
                number(row.median_ns),
                number(row.p99_ns)
            );
        }
    }
    let _ = write!(
        text,
        "\nEach figure is the median of the runs' figures (every run: each producer in a fresh process, the producers \
         alternating); run medians: the lowest and highest median of a single run.\n\
         pipe ÷ this: the median of a Linux pipe round trip between two processes (same placement, same payload, \
         0 B for rows without one) divided by the row's median — how many times faster than that pipe. Cited rows \
         come from other machines: their ratio only gives a scale.\n"
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_compares_with_the_pipe() {
        let text = "# columns\n\
            one CPU\tLinux\tpipe ping-pong, two processes\t0\t20000\t30000\t8000\t12000\tmeasured\n\
            one CPU\tHayabusa\tplain call\t-\t80\t90\t32\t36\tmeasured\n\
            one CPU\tseL4\tcall + reply\t0\t800\t-\t-\t-\tcited\n";
        let run = |text: &str| bench_rows::merge(vec![("t".into(), bench_rows::parse(text, "t").unwrap())]).unwrap();
        let slower = text.replace("\t80\t90\t", "\t120\t130\t");
        let rows = bench_rows::combine(vec![run(text), run(&slower), run(text)]).unwrap();
        let table = markdown(&rows, "intro");
        let expected = "| Hayabusa: plain call | — | 80 | 80–120 | 90 | 32 | 36 | 250× |\n\
            | Linux: pipe ping-pong, two processes | 0 B | 20000 | 20000–20000 | 30000 | 8000 | 12000 | 1.00× |\n";
        assert!(table.contains(expected), "{table}");
        assert!(table.contains("| cited, not measured here: seL4: call + reply | 0 B | 800 |  |  |  |  | 25× |"), "{table}");
        assert!(!table.contains("two CPUs"));
    }
}

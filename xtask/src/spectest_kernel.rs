//! `cargo xtask spectest --kernel`: lowers the chosen `.wast` files here (the host runner's own
//! lowering, `hayabusa_compiler_host::spectest::lower_file`), packs the scripts into the ramdisk
//! of a release kernel, boots it headless and runs the console command `spectest` on them, a
//! batch of files per boot; reads each file's report back from the serial output and sums them
//! as the host runner does. A file whose run leaves frames or reservations behind fails.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hayabusa_boot::{Session, VmConfig};
use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel};
use hayabusa_compiler_host::spectest::{FileReport, Skips, lower_file};
use hayabusa_spectest::ci::CI_FILES;
use hayabusa_spectest::serial::{KernelFile, parse_output};

use crate::options::Options;
use crate::spectest::{cannot_read, print_file};
use crate::{Failure, build};

/// Most files per boot: a fresh kernel for each batch bounds what one file can do to the next.
const BATCH: usize = 64;
/// Default limit for one boot and its batch.
const BOOT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Longest console line the command is split into (the kernel's line holds 256 bytes).
const MAX_LINE: usize = 200;

/// Runs `files` in the kernel; prints a line per file and returns the sum.
pub fn run(files: &[PathBuf], skips: &Skips, opts: &CompileOptions, boot: &[String], verbose: bool) -> Result<FileReport, Failure> {
    let mut options = Options::parse(boot, &["--accel", "--timeout"])?;
    options.release = true;
    let mut total = FileReport::default();
    let mut scripts = Vec::new();
    let mut names = Vec::new();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match script(path, skips) {
            Ok(file) => {
                scripts.push(file);
                names.push(name);
            }
            Err(e) => {
                let r = cannot_read(&name, e);
                print_file(&name, &r, verbose);
                total.merge(r);
            }
        }
    }
    let bytes: usize = scripts.iter().map(|(_, b)| b.len()).sum();
    eprintln!("xtask: {} scripts, {} KiB, into the ramdisk", scripts.len(), bytes.div_ceil(1024));
    let built = build::build_with(&options, build::Variant::Spectest, &scripts)?;
    let tools = hayabusa_boot::ensure_tools()?;
    let accel = options.accel.resolve(&tools, &built.work_dir)?;
    let config = VmConfig { tools, accel, image: Some(built.image), work_dir: built.work_dir, terminal: false, capture_stderr: true, net: None };
    let timeout = options.timeout.unwrap_or(BOOT_TIMEOUT);
    let mut words = vec![if opts.opt == OptLevel::None { "none" } else { "speed" }];
    words.push(if opts.bounds == BoundsChecks::Explicit { "explicit" } else { "guard" });
    let started = Instant::now();
    // Batches of even size, none over BATCH.
    let batch_len = names.len().div_ceil(names.len().div_ceil(BATCH).max(1)).max(1);
    let mut left: &[String] = &names;
    while !left.is_empty() {
        let batch = &left[..left.len().min(batch_len)];
        eprintln!("xtask: booting under {} for {} files ({} left)", accel.qemu_name(), batch.len(), left.len());
        let done = run_batch(&config, timeout, &words, batch, &mut |f| {
            print_file(&f.name, &f.report, verbose);
            if verbose {
                let l = f.left;
                println!("       in the kernel: {} ms; left behind: heap {:+} bytes, frames {:+}, reservations {:+}", f.millis, l.heap, l.frames, l.reservations);
            }
            total.merge(f.report);
        });
        // A boot that died (timeout, crash) ends its file as a failure; the rest go on anew.
        if done < batch.len() {
            let r = lost(&batch[done], "the kernel session ended during this file (see the transcript above)");
            print_file(&batch[done], &r, verbose);
            total.merge(r);
            left = &left[done + 1..];
        } else {
            left = &left[batch.len()..];
        }
    }
    eprintln!("xtask: {} files in {:.1} s under {}", names.len(), started.elapsed().as_secs_f64(), accel.qemu_name());
    Ok(total)
}

/// The `.wast` file at `path` lowered, as a ramdisk file: `(spectest/NAME, bytes)`.
fn script(path: &Path, skips: &Skips) -> std::io::Result<(String, Vec<u8>)> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let text = std::fs::read_to_string(path)?;
    Ok((format!("spectest/{name}"), hayabusa_spectest::codec::encode(&lower_file(&name, &text, skips))))
}

/// The scripts of the files CI runs in the kernel (`hayabusa_spectest::ci::CI_FILES`), for the
/// test image; none (with a warning) when the suite is not there, and then the boot test fails.
pub fn ci_scripts() -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let (dir, skips) = (crate::spectest::suite_dir(), crate::spectest::load_skips()?);
    let scripts: std::io::Result<Vec<_>> = CI_FILES.iter().map(|name| script(&dir.join(name), &skips)).collect();
    scripts.or_else(|e| {
        eprintln!("xtask: WARNING: the spec suite is not readable at {} ({e}): the test image has no spec scripts", dir.display());
        Ok(Vec::new())
    })
}

fn lost(name: &str, why: &str) -> FileReport {
    let mut r = FileReport { failed: 1, ..FileReport::default() };
    r.failures.push(format!("{name}: {why}"));
    r
}

/// One boot: runs `batch` and hands each file's report to `report`; how many files reported.
fn run_batch(config: &VmConfig, timeout: Duration, words: &[&str], batch: &[String], report: &mut dyn FnMut(KernelFile)) -> usize {
    let mut session = match Session::start(config, timeout) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("xtask: starting QEMU: {e}");
            return 0;
        }
    };
    if let Err(e) = session.expect_prompt() {
        eprintln!("xtask: the kernel did not boot: {e}");
        return 0;
    }
    let mut done = 0;
    for line in command_lines(words, batch) {
        let output = match session.command(&line) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("xtask: {e}");
                // Whatever finished before the session ended still counts.
                for file in parse_output(&session.transcript()).into_iter().skip(done) {
                    report(file);
                    done += 1;
                }
                return done;
            }
        };
        for file in parse_output(&output) {
            report(file);
            done += 1;
        }
    }
    let _ = session.send("shutdown\n");
    session.wait_exit();
    done
}

/// `spectest WORDS NAME...` lines that fit the console.
fn command_lines(words: &[&str], names: &[String]) -> Vec<String> {
    let head = format!("spectest {}", words.join(" "));
    let mut lines = Vec::new();
    let mut line = head.clone();
    for name in names {
        if line.len() + 1 + name.len() > MAX_LINE && line != head {
            lines.push(std::mem::replace(&mut line, head.clone()));
        }
        line.push(' ');
        line.push_str(name);
    }
    if line != head {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_fit_the_console() {
        let names: Vec<String> = (0..100).map(|i| format!("file-with-a-long-name-{i}.wast")).collect();
        let lines = command_lines(&["speed", "guard"], &names);
        assert!(lines.iter().all(|l| l.len() <= MAX_LINE && l.starts_with("spectest speed guard ")));
        let back: Vec<&str> = lines.iter().flat_map(|l| l.split(' ').skip(3)).collect();
        assert_eq!(back, names);
    }
}

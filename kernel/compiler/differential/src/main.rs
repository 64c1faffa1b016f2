//! `hayabusa-differential [--count N] [--seed S] [--opt none|speed] [--bounds guard|explicit]
//! [--fuel F] [--rounds R]`: the long run of the differential test (`cargo xtask differential`
//! runs it in release). Prints a progress line every 1,000 seeds and a summary; on a mismatch,
//! the seed, the difference, and where the module was written, and exits 1.

#![forbid(unsafe_code)]

use hayabusa_compiler::{BoundsChecks, OptLevel};
use hayabusa_differential::{Options, run_seeds};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: hayabusa-differential [--count N] [--seed S] [--opt none|speed] [--bounds guard|explicit] [--fuel F] [--rounds R]";

fn parse() -> Result<(u64, u64, Options), String> {
    let (mut count, mut seed) = (10_000u64, 0u64);
    let mut opts = Options::new(OptLevel::Speed, BoundsChecks::Guard);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{a}: not a number: {v}\n{USAGE}"));
        match a.as_str() {
            "--count" => count = number(value()?)?,
            "--seed" => seed = number(value()?)?,
            "--fuel" => opts.fuel = number(value()?)?.try_into().map_err(|_| "--fuel: too large".to_string())?,
            "--rounds" => opts.rounds = number(value()?)? as usize,
            "--opt" => {
                let v = value()?;
                opts.compile.opt = OptLevel::parse(&v).ok_or_else(|| format!("--opt: none or speed, not {v}"))?;
            }
            "--bounds" => {
                opts.compile.bounds = match value()?.as_str() {
                    "guard" => BoundsChecks::Guard,
                    "explicit" => BoundsChecks::Explicit,
                    v => return Err(format!("--bounds: guard or explicit, not {v}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
    }
    Ok((seed, count, opts))
}

fn main() -> ExitCode {
    let (seed, count, opts) = match parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    println!("differential: seeds {seed}..{} ({count}), {:?}, {:?}, fuel {}, {} rounds", seed.saturating_add(count), opts.compile.opt, opts.compile.bounds, opts.fuel, opts.rounds);
    let run = hayabusa_differential::run_on_big_stack(move || {
        run_seeds(seed, count, &opts, |s, _| {
            if (s - seed + 1) % 1000 == 0 {
                println!("  {} seeds, {:.0} s", s - seed + 1, start.elapsed().as_secs_f64());
            }
        })
    });
    match run {
        Ok(stats) => {
            println!(
                "{} modules agree ({} with SIMD; {} seeds made no module): {} calls, {} traps, {} instantiation traps, {:.1} s",
                stats.modules,
                stats.simd_modules,
                stats.no_module,
                stats.calls,
                stats.traps,
                stats.instantiation_traps,
                start.elapsed().as_secs_f64()
            );
            println!("calls ended: {:?}", stats.endings);
            ExitCode::SUCCESS
        }
        Err(m) => {
            println!("MISMATCH {m}");
            let path = std::env::temp_dir().join(format!("hayabusa-differential-{}.wasm", m.seed));
            match std::fs::write(&path, &m.wasm) {
                Ok(()) => println!("module written to {} (rerun: cargo xtask differential --seed {} --count 1)", path.display(), m.seed),
                Err(e) => println!("could not write the module to {}: {e}", path.display()),
            }
            ExitCode::FAILURE
        }
    }
}

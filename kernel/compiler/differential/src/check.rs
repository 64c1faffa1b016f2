//! One seed: build its module, plan the calls, run the plan on both engines, compare the traces.

use crate::args::{Rng, arg};
use crate::ours::{self, Hayabusa};
use crate::reference::Wasmi;
use crate::trace::{Event, TrapKind, Value};
use hayabusa_compiler::module::ExternKind;
use hayabusa_compiler::{BoundsChecks, CompileOptions, OptLevel};
use std::sync::Arc;
use wasmparser::{Validator, WasmFeatures};

/// How modules are built and run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub compile: CompileOptions,
    /// wasm-smith's termination fuel: function entries and loop iterations a module may make
    /// in all (then every call traps with `unreachable`).
    pub fuel: u32,
    /// Times each exported function is called (each time with new arguments).
    pub rounds: usize,
}

impl Options {
    pub fn new(opt: OptLevel, bounds: BoundsChecks) -> Options {
        let compile = CompileOptions { opt, bounds, cpu: hayabusa_compiler_host::cpu::host_features(), clock: None };
        Options { compile, fuel: 10_000, rounds: 3 }
    }
}

/// What a seed gave when both engines agreed.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The seed's bytes make no module (wasm-smith gave up): nothing to compare.
    NoModule,
    /// Both engines produced this trace.
    Agreed { calls: usize, traps: usize, instantiation_trapped: bool, endings: Vec<String>, simd: bool },
}

/// Totals over many seeds.
#[derive(Debug, Default)]
pub struct Stats {
    pub modules: usize,
    /// Modules that use SIMD (do not validate without it).
    pub simd_modules: usize,
    pub no_module: usize,
    pub calls: usize,
    pub traps: usize,
    pub instantiation_traps: usize,
    /// Calls by what they ended with: `returned` or the trap kind.
    pub endings: std::collections::BTreeMap<String, usize>,
}

/// A difference: everything needed to reproduce it.
#[derive(Debug)]
pub struct Mismatch {
    pub seed: u64,
    pub wasm: Vec<u8>,
    pub what: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seed {}: {}", self.seed, self.what)
    }
}

/// A planned call: the export and its arguments.
type Call = (String, Vec<Value>);

/// Runs `plan` on our engine.
fn run_ours(module: Arc<hayabusa_compiler::CompiledModule>, wasm: &[u8], plan: &[Call], globals: &[String], tables: &[String]) -> Result<Vec<Event>, String> {
    let h = match Hayabusa::instantiate(module, wasm) {
        Ok(h) => h,
        Err(Ok(kind)) => return Ok(vec![Event::InstantiationTrapped(kind)]),
        Err(Err(why)) => return Err(format!("hayabusa failed to instantiate: {why}")),
    };
    let mut trace = vec![Event::Instantiated(h.state(globals, tables))];
    for (export, args) in plan {
        let result = h.call(export, args);
        trace.push(Event::Call { export: export.clone(), args: args.clone(), result, state: h.state(globals, tables) });
    }
    Ok(trace)
}

/// Runs `plan` on the reference engine.
fn run_reference(wasm: &[u8], plan: &[Call], globals: &[String], tables: &[String]) -> Result<Vec<Event>, String> {
    let mut w = match Wasmi::instantiate(wasm) {
        Ok(w) => w,
        Err(Ok(kind)) => return Ok(vec![Event::InstantiationTrapped(kind)]),
        Err(Err(why)) => return Err(why),
    };
    let mut trace = vec![Event::Instantiated(w.state(globals, tables))];
    for (export, args) in plan {
        let result = w.call(export, args);
        trace.push(Event::Call { export: export.clone(), args: args.clone(), result, state: w.state(globals, tables) });
    }
    Ok(trace)
}

/// Builds the module of `seed`, runs it on both engines and compares.
pub fn check_seed(seed: u64, opts: &Options) -> Result<Outcome, Mismatch> {
    let Some(wasm) = hayabusa_smith::differential_module(seed, opts.fuel) else { return Ok(Outcome::NoModule) };
    let fail = |what: String| Mismatch { seed, wasm: wasm.clone(), what };
    let module = ours::compile(&wasm, &opts.compile).map_err(fail)?;
    let info = &module.info;
    let names = |kind: ExternKind| -> Vec<String> {
        info.exports.iter().filter(|e| e.kind == kind).map(|e| e.name.clone()).collect()
    };
    let (globals, tables) = (names(ExternKind::Global), names(ExternKind::Table));
    let mut rng = Rng::new(seed);
    let mut plan = Vec::new();
    for _ in 0..opts.rounds {
        for e in info.exports.iter().filter(|e| e.kind == ExternKind::Func) {
            let args = info.func_sig(e.index).params.iter().map(|t| arg(&mut rng, *t)).collect();
            plan.push((e.name.clone(), args));
        }
    }
    let ours = run_ours(Arc::new(module), &wasm, &plan, &globals, &tables).map_err(fail)?;
    let reference = run_reference(&wasm, &plan, &globals, &tables).map_err(fail)?;
    for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
        if a != b {
            let before = if i > 0 { format!("\n  after: {}", ours[i - 1]) } else { String::new() };
            return Err(fail(format!("step {i} differs{before}\n  hayabusa: {a}\n  wasmi:    {b}")));
        }
    }
    if ours.len() != reference.len() {
        return Err(fail(format!("traces differ in length: hayabusa {}, wasmi {}", ours.len(), reference.len())));
    }
    let trap = |e: &Event| matches!(e, Event::Call { result: Err(_), .. });
    if let Some(Event::Call { result: Err(TrapKind::Other(why)), .. }) = ours.iter().find(|e| matches!(e, Event::Call { result: Err(TrapKind::Other(_)), .. })) {
        return Err(fail(format!("both engines failed a call for a reason outside the trap set: {why}")));
    }
    let without_simd = hayabusa_compiler::validate::supported_features() - WasmFeatures::SIMD;
    Ok(Outcome::Agreed {
        simd: Validator::new_with_features(without_simd).validate_all(&wasm).is_err(),
        calls: ours.len().saturating_sub(1),
        traps: ours.iter().filter(|e| trap(e)).count(),
        instantiation_trapped: matches!(ours.first(), Some(Event::InstantiationTrapped(_))),
        endings: ours
            .iter()
            .filter_map(|e| match e {
                Event::Call { result: Ok(_), .. } => Some("returned".to_string()),
                Event::Call { result: Err(k), .. } => Some(format!("{k:?}")),
                _ => None,
            })
            .collect(),
    })
}

/// Checks `count` seeds from `first`, stopping at the first mismatch; `progress` sees each seed
/// and its outcome.
pub fn run_seeds(first: u64, count: u64, opts: &Options, mut progress: impl FnMut(u64, &Outcome)) -> Result<Stats, Mismatch> {
    let mut stats = Stats::default();
    for seed in first..first.saturating_add(count) {
        let outcome = check_seed(seed, opts)?;
        match &outcome {
            Outcome::NoModule => stats.no_module += 1,
            Outcome::Agreed { calls, traps, instantiation_trapped, endings, simd } => {
                stats.simd_modules += usize::from(*simd);
                for e in endings {
                    *stats.endings.entry(e.clone()).or_default() += 1;
                }
                stats.modules += 1;
                stats.calls += calls;
                stats.traps += traps;
                stats.instantiation_traps += *instantiation_trapped as usize;
            }
        }
        progress(seed, &outcome);
    }
    Ok(stats)
}

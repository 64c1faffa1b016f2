//! Runs a lowered script over a runtime platform: one state per script (instances by name,
//! registrations, definitions) and what each command does. Both runners use it, so the host
//! and the kernel count every assertion the same way.

use crate::expect::{self, FuncResolver};
use crate::host_module::spectest_exports;
use crate::report::{FileReport, Outcome};
use crate::script::{Action, Command, Cut, Directive, FuncId, Load, Script};
use crate::skips::allowed;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use hayabusa_compiler::{CompileOptions, CompiledModule, ErrorKind, TrapKind};
use hayabusa_runtime::{Extern, Instance, InstantiateError, Platform, Store, Trap, Val};

enum Slot<P: Platform> {
    /// Instantiated; with a cut when only a reduced version of the module compiles.
    Live(Instance<P>, Option<Arc<Cut>>),
    /// Not instantiated: it needs an unsupported feature and no reduction compiles (its feature).
    Skipped(String),
    /// Failed to compile or instantiate: what uses it fails too.
    Failed,
}

// By hand: a derive would ask `P: Clone`.
impl<P: Platform> Clone for Slot<P> {
    fn clone(&self) -> Self {
        match self {
            Slot::Live(i, c) => Slot::Live(i.clone(), c.clone()),
            Slot::Skipped(f) => Slot::Skipped(f.clone()),
            Slot::Failed => Slot::Failed,
        }
    }
}

impl<P: Platform> Slot<P> {
    /// The feature for which this module was skipped or only its reduction instantiated.
    fn partial(&self) -> Option<&str> {
        match self {
            Slot::Skipped(f) => Some(f),
            Slot::Live(_, Some(c)) => Some(&c.feature),
            _ => None,
        }
    }
}

fn partial_outcome<P: Platform>(slot: &Slot<P>) -> Outcome {
    slot.partial().map_or(Outcome::Pass, |f| Outcome::Skip(f.to_string()))
}

/// Runs every directive of `script` on platform `P`, compiling with `opts`.
pub fn run_script<P: Platform>(script: &Script, opts: &CompileOptions) -> FileReport {
    let mut report = FileReport::default();
    let file = script.file.as_str();
    if let Some(why) = &script.unparsable {
        match &script.file_skip {
            Some(feature) => report.add(file, 0, Outcome::Skip(feature.clone())),
            None => {
                report.failed += 1;
                report.failures.push(format!("{file}: cannot parse script: {why}"));
            }
        }
        return report;
    }
    let mut runner = Runner::<P>::new(opts);
    for d in &script.directives {
        report.add(file, d.line, runner.directive(d));
    }
    drop(runner);
    if let Some(feature) = &script.file_skip
        && report.skipped_by.get(feature).copied().unwrap_or(0) == 0
    {
        report.failed += 1;
        report.failures.push(format!("{file}: stale skip: listed for {feature}, but nothing in it is skipped for it"));
        report.stale.push(file.to_string());
    }
    report
}

/// One script's state.
struct Runner<'o, P: Platform> {
    opts: &'o CompileOptions,
    spectest: BTreeMap<&'static str, Extern<P>>,
    registered: BTreeMap<String, Slot<P>>,
    named: BTreeMap<String, Slot<P>>,
    /// Module definitions by name: compiled, or the feature they were skipped for.
    definitions: BTreeMap<String, Result<(), String>>,
    current: Option<Slot<P>>,
    store: Store<P>,
    /// The directive being run's skip allowance, and whether its skip entry was used.
    allowance: Option<String>,
    entry_used: bool,
}

impl<'o, P: Platform> Runner<'o, P> {
    fn new(opts: &'o CompileOptions) -> Self {
        Runner {
            opts,
            spectest: spectest_exports(),
            registered: BTreeMap::new(),
            named: BTreeMap::new(),
            definitions: BTreeMap::new(),
            current: None,
            store: Store::new(),
            allowance: None,
            entry_used: false,
        }
    }

    /// Runs one directive. A skip-list entry for it does not stop it: a directive listed for
    /// feature F must fail (or be a module that needs F); then it counts as skipped for F, and
    /// when it passes, or something else already skips it, the entry is stale.
    fn directive(&mut self, d: &Directive) -> Outcome {
        self.allowance = d.allowance.clone();
        self.entry_used = d.entry_used;
        let outcome = self.run(&d.command);
        let Some(feature) = d.listed.clone() else { return outcome };
        if self.entry_used {
            return outcome;
        }
        match outcome {
            Outcome::Fail(_) => Outcome::Skip(feature),
            Outcome::Pass => Outcome::Stale(format!("stale skip: listed for {feature}, but it passes")),
            Outcome::Skip(other) => {
                Outcome::Stale(format!("stale skip: listed for {feature}, but it is skipped anyway ({other})"))
            }
            Outcome::Stale(s) => Outcome::Stale(s),
        }
    }

    fn run(&mut self, c: &Command) -> Outcome {
        match c {
            Command::Module { name, load } => match self.instantiate(load) {
                Ok(slot) => {
                    let outcome = partial_outcome(&slot);
                    self.set_current(name.as_deref(), slot);
                    outcome
                }
                Err(why) => {
                    self.set_current(name.as_deref(), Slot::Failed);
                    Outcome::Fail(why)
                }
            },
            Command::Definition { name, load } => match self.compile(load) {
                Ok((_, _, cut)) => {
                    self.definitions.insert(name.clone(), Ok(()));
                    cut.map_or(Outcome::Pass, |c| Outcome::Skip(c.feature.clone()))
                }
                Err(Outcome::Skip(f)) => {
                    self.definitions.insert(name.clone(), Err(f.clone()));
                    Outcome::Skip(f)
                }
                Err(o) => o,
            },
            Command::Instance { instance, module, load } => {
                let slot = match self.definitions.get(module) {
                    None => return Outcome::Fail(format!("no module definition {module}")),
                    Some(Err(f)) => Ok(Slot::Skipped(f.clone())),
                    Some(Ok(())) => self.instantiate(load),
                };
                match slot {
                    Ok(slot) => {
                        let outcome = partial_outcome(&slot);
                        self.set_current(instance.as_deref(), slot);
                        outcome
                    }
                    Err(why) => Outcome::Fail(why),
                }
            }
            Command::Register { name, module } => {
                let slot = match module {
                    Some(m) => self.named.get(m).cloned(),
                    None => self.current.clone(),
                };
                match slot {
                    Some(s) => {
                        self.registered.insert(name.clone(), s);
                        Outcome::Pass
                    }
                    None => Outcome::Fail("register: no such module".into()),
                }
            }
            Command::Action(a) => match self.execute(a) {
                Err(o) => o,
                Ok((Ok(_), _)) => Outcome::Pass,
                Ok((Err(t), _)) => Outcome::Fail(format!("unexpected {t}")),
            },
            Command::AssertReturn { action, results } => self.assert_return(action, results),
            Command::AssertTrap { action, message } => self.assert_trap(action, message),
            Command::AssertExhaustion { action, message } => match self.execute(action) {
                Err(o) => o,
                Ok((Err(t), _)) if t.kind == TrapKind::StackOverflow => Outcome::Pass,
                Ok((r, _)) => Outcome::Fail(format!("expected {message}, got {r:?}")),
            },
            Command::AssertRejected { bytes, message } => self.assert_rejected(bytes.as_deref(), message),
            Command::AssertUnlinkable { load, message } => match self.instantiate(load) {
                Err(why) if why.starts_with("unlinkable") => Outcome::Pass,
                Err(why) => Outcome::Fail(format!("expected unlinkable ({message}), got {why}")),
                // Reduced, it may link (or not) for reasons the original does not share.
                Ok(slot) if slot.partial().is_some() => partial_outcome(&slot),
                Ok(_) => Outcome::Fail(format!("expected unlinkable ({message}), but it linked")),
            },
            // No exception handling here: the module is skipped, or this fails.
            Command::AssertException { action } => match self.execute(action) {
                Err(o) => o,
                Ok((r, _)) => Outcome::Fail(format!("expected an exception, got {r:?}")),
            },
            Command::Fail(why) => Outcome::Fail(why.clone()),
        }
    }

    fn set_current(&mut self, name: Option<&str>, slot: Slot<P>) {
        if let Some(n) = name {
            self.named.insert(n.to_string(), slot.clone());
        }
        self.current = Some(slot);
    }

    /// Compiles a lowered module (with its bytes and cut): `Err(Skip)` when lowering skipped it,
    /// `Err(Fail)` when it, or its compile, failed.
    #[allow(clippy::type_complexity)]
    fn compile<'l>(&self, load: &'l Load) -> Result<(CompiledModule, &'l [u8], Option<Arc<Cut>>), Outcome> {
        match load {
            Load::Bytes(bytes, cut) => match hayabusa_compiler::compile(bytes, self.opts) {
                Ok(m) => Ok((m, bytes, cut.clone().map(Arc::new))),
                Err(e) if cut.is_some() => Err(Outcome::Fail(format!("reduced module failed to compile: {e}"))),
                Err(e) => Err(Outcome::Fail(format!("compile failed: {e}"))),
            },
            Load::Skipped(f) => Err(Outcome::Skip(f.clone())),
            Load::Fail(why) => Err(Outcome::Fail(why.clone())),
        }
    }

    /// Compiles and instantiates. `Err` is a failure's reason (`unlinkable: ...`, `trap: ...`).
    fn instantiate(&self, load: &Load) -> Result<Slot<P>, String> {
        match self.try_instantiate(load) {
            Ok(Ok(slot)) => Ok(slot),
            Ok(Err(InstantiateError::Unlinkable(m))) => Err(format!("unlinkable: {m}")),
            Ok(Err(InstantiateError::Trap(t))) => Err(format!("trap: {t}")),
            Ok(Err(e)) => Err(e.to_string()),
            Err(Outcome::Skip(f)) => Ok(Slot::Skipped(f)),
            Err(Outcome::Fail(why) | Outcome::Stale(why)) => Err(why),
            Err(Outcome::Pass) => Err("internal: load passed without a module".into()),
        }
    }

    /// Outer error: the module did not compile (a failure, or a skip); inner: instantiation's
    /// own result. A module importing what a skipped or reduced module lost is skipped too.
    fn try_instantiate(&self, load: &Load) -> Result<Result<Slot<P>, InstantiateError>, Outcome> {
        let (module, bytes, cut) = self.compile(load)?;
        for imp in &module.info.imports {
            match self.registered.get(&imp.module) {
                Some(Slot::Skipped(f)) => return Ok(Ok(Slot::Skipped(f.clone()))),
                Some(Slot::Live(_, Some(c))) if c.touches(&imp.name) => return Ok(Ok(Slot::Skipped(c.feature.clone()))),
                _ => {}
            }
        }
        let resolve = |m: &str, n: &str| -> Option<Extern<P>> {
            if m == "spectest" {
                return self.spectest.get(n).cloned();
            }
            match self.registered.get(m)? {
                Slot::Live(i, _) => i.export(n),
                Slot::Skipped(_) | Slot::Failed => None,
            }
        };
        Ok(Instance::new(&self.store, Arc::new(module), bytes, &resolve).map(|i| Slot::Live(i, cut)))
    }

    /// The instance a command names (or the current one), unless `export` is one its
    /// reduction lost (then the command is skipped).
    fn instance(&self, module: Option<&str>, export: &str) -> Result<Instance<P>, Outcome> {
        let slot = match module {
            Some(n) => self.named.get(n),
            None => self.current.as_ref(),
        };
        match slot {
            Some(Slot::Live(_, Some(c))) if c.touches(export) => Err(Outcome::Skip(c.feature.clone())),
            Some(Slot::Live(i, _)) => Ok(i.clone()),
            Some(Slot::Skipped(f)) => Err(Outcome::Skip(f.clone())),
            Some(Slot::Failed) => Err(Outcome::Fail("its module failed to instantiate".into())),
            None => Err(Outcome::Fail("no module to run against".into())),
        }
    }

    /// Runs `action`; with the call's result, the instance it ran against (to resolve
    /// `(ref.func N)` in the expected results). `Err(outcome)` when it could not run.
    #[allow(clippy::type_complexity)]
    fn execute(&self, action: &Action) -> Result<(Result<Vec<Val>, Trap>, Option<Instance<P>>), Outcome> {
        match action {
            Action::Invoke { module, name, args } => {
                let inst = self.instance(module.as_deref(), name)?;
                let Some(Extern::Func(f)) = inst.export(name) else {
                    return Err(Outcome::Fail(format!("no exported function {name:?}")));
                };
                if f.sig.params.len() != args.len() {
                    return Err(Outcome::Fail("argument count mismatch".into()));
                }
                let args: Vec<Val> = args.iter().zip(&f.sig.params).map(|(a, t)| expect::arg(*a, *t)).collect();
                Ok((f.call(&args), Some(inst)))
            }
            Action::Get { module, global } => {
                let inst = self.instance(module.as_deref(), global)?;
                match inst.export(global) {
                    Some(Extern::Global(g)) => Ok((Ok(alloc::vec![g.get()]), Some(inst))),
                    _ => Err(Outcome::Fail(format!("no exported global {global:?}"))),
                }
            }
            Action::Instantiate(load) => match self.instantiate(load) {
                Ok(slot) if slot.partial().is_some() => Err(partial_outcome(&slot)),
                Ok(_) => Ok((Ok(Vec::new()), None)),
                Err(why) => Err(Outcome::Fail(why)),
            },
        }
    }

    fn assert_return(&self, action: &Action, results: &[crate::script::Expected]) -> Outcome {
        let (got, inst) = match self.execute(action) {
            Err(o) => return o,
            Ok((Err(t), _)) => return Outcome::Fail(format!("unexpected {t}")),
            Ok((Ok(v), inst)) => (v, inst),
        };
        if got.len() != results.len() {
            return Outcome::Fail(format!("expected {} results, got {got:?}", results.len()));
        }
        let func = |id: &FuncId| -> Option<usize> {
            let inst = inst.as_ref()?;
            let info = &inst.module().info;
            let index = match id {
                FuncId::Index(n) => *n,
                FuncId::Name(name) => *info.func_names.iter().find(|(_, n)| n.as_str() == name)?.0,
            };
            ((index as usize) < info.funcs.len()).then(|| inst.func(index).funcref())
        };
        let func: FuncResolver<'_> = &func;
        for (r, v) in results.iter().zip(&got) {
            match expect::matches(r, v, func) {
                Ok(true) => {}
                Ok(false) => return Outcome::Fail(format!("expected {results:?}, got {got:?}")),
                Err(e) => return Outcome::Fail(e),
            }
        }
        Outcome::Pass
    }

    fn assert_trap(&self, action: &Action, message: &str) -> Outcome {
        let trap_matches = |t: &Trap| {
            let ours = t.kind.message();
            message.starts_with(ours) || ours.starts_with(message)
        };
        if let Action::Instantiate(load) = action {
            return match self.try_instantiate(load) {
                Err(o) => o,
                Ok(Ok(slot)) if slot.partial().is_some() => partial_outcome(&slot),
                Ok(Err(InstantiateError::Trap(t))) if trap_matches(&t) => Outcome::Pass,
                Ok(Err(e)) => Outcome::Fail(format!("expected trap {message}, got {e}")),
                Ok(Ok(_)) => Outcome::Fail(format!("expected trap {message}, but it instantiated")),
            };
        }
        match self.execute(action) {
            Err(o) => o,
            Ok((Err(t), _)) if trap_matches(&t) => Outcome::Pass,
            Ok((Err(t), _)) => Outcome::Fail(format!("expected trap {message}, got {t}")),
            Ok((Ok(v), _)) => Outcome::Fail(format!("expected trap {message}, got {v:?}")),
        }
    }

    fn assert_rejected(&mut self, bytes: Option<&[u8]>, message: &str) -> Outcome {
        // `None`: rejected by the text parser.
        let Some(bytes) = bytes else { return Outcome::Pass };
        match hayabusa_compiler::compile(bytes, self.opts) {
            Err(e) if e.kind == ErrorKind::Invalid => Outcome::Pass,
            // Our validator cannot tell this module's error from a feature it lacks.
            Err(e) if e.kind == ErrorKind::Unsupported => {
                match allowed(self.allowance.as_deref(), &e, &mut self.entry_used) {
                    Ok(f) => Outcome::Skip(f),
                    Err(why) => Outcome::Fail(why),
                }
            }
            Err(e) => Outcome::Fail(format!("expected invalid ({message}), got {e}")),
            Ok(_) => Outcome::Fail(format!("expected rejection ({message}), but it compiled")),
        }
    }
}

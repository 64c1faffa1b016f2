//! One script's state (instances, registrations, skips) and what each directive does.

use super::host_module::spectest_exports;
use super::reduce::reduce;
use super::skips::Skips;
use super::values;
use crate::{Extern, Instance, InstantiateError, Store, Trap, Val};
use hayabusa_compiler::{CompileOptions, CompiledModule, ErrorKind, TrapKind};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use wast::{QuoteWat, WastDirective, WastExecute, WastInvoke};

/// What a reduced module lost (see `reduce.rs`): assertions on these exports are skipped.
pub(super) struct Cut {
    feature: String,
    tainted: HashSet<String>,
    removed: HashSet<String>,
}

#[derive(Clone)]
enum Slot {
    /// Instantiated; with a cut when only a reduced version of the module compiles.
    Live(Instance, Option<Arc<Cut>>),
    /// Not instantiated: it needs an unsupported feature and no reduction compiles (its feature).
    Skipped(String),
    /// Failed to compile or instantiate: what uses it fails too.
    Failed,
}

impl Slot {
    /// The feature for which this module was skipped or only its reduction instantiated.
    fn partial(&self) -> Option<&str> {
        match self {
            Slot::Skipped(f) => Some(f),
            Slot::Live(_, Some(c)) => Some(&c.feature),
            _ => None,
        }
    }
}

pub(super) enum Outcome {
    Pass,
    Fail(String),
    /// Skipped for this feature.
    Skip(String),
    /// A skip-list entry whose directive needs nothing unsupported any more: a failure.
    Stale(String),
}

/// A compiled module, possibly reduced, ready to instantiate.
struct Loaded {
    module: CompiledModule,
    bytes: Vec<u8>,
    cut: Option<Arc<Cut>>,
}

pub(super) struct Runner<'a> {
    skips: &'a Skips,
    file: &'a str,
    opts: CompileOptions,
    spectest: HashMap<&'static str, Extern>,
    registered: HashMap<String, Slot>,
    named: HashMap<String, Slot>,
    /// Module definitions by name: their bytes, or the feature they were skipped for.
    definitions: HashMap<String, Result<Vec<u8>, String>>,
    current: Option<Slot>,
    store: Store,
    /// Line of the directive being run, and whether an unsupported module used its skip entry.
    line: usize,
    entry_used: Cell<bool>,
}

/// Whether a trap is the one the script expects (the spec's wording, possibly longer).
fn trap_matches(trap: &Trap, expected: &str) -> bool {
    let ours = trap.kind.message();
    expected.starts_with(ours) || ours.starts_with(expected)
}

impl<'a> Runner<'a> {
    pub(super) fn new(file: &'a str, skips: &'a Skips, opts: CompileOptions) -> Self {
        Runner {
            skips,
            file,
            opts,
            spectest: spectest_exports(),
            registered: HashMap::new(),
            named: HashMap::new(),
            definitions: HashMap::new(),
            current: None,
            store: Store::new(),
            line: 0,
            entry_used: Cell::new(false),
        }
    }

    /// Runs one directive. A skip-list entry for it does not stop it: a directive listed for
    /// feature F must fail (or be a module that needs F); then it counts as skipped for F, and
    /// when it passes, or something else already skips it, the entry is stale.
    pub(super) fn directive(&mut self, d: WastDirective<'_>, line: usize) -> Outcome {
        self.line = line;
        self.entry_used.set(false);
        let listed = self.skips.directive(self.file, line).map(str::to_string);
        let outcome = self.run(d);
        let Some(feature) = listed else { return outcome };
        if self.entry_used.get() {
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

    fn run(&mut self, d: WastDirective<'_>) -> Outcome {
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name().map(|i| i.name());
                let bytes = match m.encode() {
                    Ok(b) => b,
                    Err(e) => return Outcome::Fail(format!("cannot encode module: {e}")),
                };
                match self.instantiate(&bytes) {
                    Ok(slot) => {
                        // A module that compiled only once reduced did not pass whole.
                        let outcome = slot.partial().map_or(Outcome::Pass, |f| Outcome::Skip(f.to_string()));
                        self.set_current(name, slot);
                        outcome
                    }
                    Err(why) => {
                        self.set_current(name, Slot::Failed);
                        Outcome::Fail(why)
                    }
                }
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name().map(|i| i.name().to_string()).unwrap_or_default();
                let bytes = match m.encode() {
                    Ok(b) => b,
                    Err(e) => return Outcome::Fail(format!("cannot encode module: {e}")),
                };
                match self.load(&bytes) {
                    Ok(l) => {
                        let outcome = match &l.cut {
                            Some(c) => Outcome::Skip(c.feature.clone()),
                            None => Outcome::Pass,
                        };
                        self.definitions.insert(name, Ok(bytes));
                        outcome
                    }
                    Err(Outcome::Skip(f)) => {
                        self.definitions.insert(name, Err(f.clone()));
                        Outcome::Skip(f)
                    }
                    Err(o) => o,
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let def = module.map(|m| m.name().to_string()).unwrap_or_default();
                let slot = match self.definitions.get(&def).cloned() {
                    None => return Outcome::Fail(format!("no module definition {def}")),
                    Some(Err(f)) => Ok(Slot::Skipped(f)),
                    Some(Ok(bytes)) => self.instantiate(&bytes),
                };
                match slot {
                    Ok(slot) => {
                        let outcome = slot.partial().map_or(Outcome::Pass, |f| Outcome::Skip(f.to_string()));
                        self.set_current(instance.map(|i| i.name()), slot);
                        outcome
                    }
                    Err(why) => Outcome::Fail(why),
                }
            }
            WastDirective::Register { name, module, .. } => {
                let slot = match module {
                    Some(id) => self.named.get(id.name()).cloned(),
                    None => self.current.clone(),
                };
                match slot {
                    Some(s) => {
                        self.registered.insert(name.to_string(), s);
                        Outcome::Pass
                    }
                    None => Outcome::Fail("register: no such module".into()),
                }
            }
            WastDirective::Invoke(inv) => match self.invoke(&inv) {
                Err(o) => o,
                Ok(Ok(_)) => Outcome::Pass,
                Ok(Err(t)) => Outcome::Fail(format!("unexpected {t}")),
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Err(o) => o,
                Ok(Err(t)) if t.kind == TrapKind::StackOverflow => Outcome::Pass,
                Ok(r) => Outcome::Fail(format!("expected {message}, got {r:?}")),
            },
            WastDirective::AssertInvalid { module, message, .. }
            | WastDirective::AssertMalformed { module, message, .. } => self.assert_rejected(module, message),
            WastDirective::AssertUnlinkable { module, message, .. } => {
                let mut q = QuoteWat::Wat(module);
                let bytes = match q.encode() {
                    Ok(b) => b,
                    Err(e) => return Outcome::Fail(format!("cannot encode module: {e}")),
                };
                match self.instantiate(&bytes) {
                    Err(why) if why.starts_with("unlinkable") => Outcome::Pass,
                    Err(why) => Outcome::Fail(format!("expected unlinkable ({message}), got {why}")),
                    // Reduced, it may link (or not) for reasons the original does not share.
                    Ok(slot) if slot.partial().is_some() => Outcome::Skip(slot.partial().unwrap_or_default().into()),
                    Ok(_) => Outcome::Fail(format!("expected unlinkable ({message}), but it linked")),
                }
            }
            // No exception handling here: the module is skipped, or this fails.
            WastDirective::AssertException { exec, .. } => match self.execute(exec) {
                Err(o) => o,
                Ok((r, _)) => Outcome::Fail(format!("expected an exception, got {r:?}")),
            },
            other => Outcome::Fail(format!("unsupported directive {:?}", std::mem::discriminant(&other))),
        }
    }

    fn set_current(&mut self, name: Option<&str>, slot: Slot) {
        if let Some(n) = name {
            self.named.insert(n.to_string(), slot.clone());
        }
        self.current = Some(slot);
    }

    /// The feature the skip list allows this directive's module to lack: its own entry, or
    /// its file's.
    fn allowance(&self) -> Option<&'a str> {
        self.skips.directive(self.file, self.line).or_else(|| self.skips.file(self.file))
    }

    /// The skip-list feature under which this directive may meet the unsupported-feature error
    /// `err` (marking its entry used), or the failure saying why not.
    fn allowed(&self, err: &hayabusa_compiler::Error) -> Result<String, Outcome> {
        let needs = match err.message.strip_prefix("unsupported feature ") {
            Some(n) if !n.starts_with("combination") => Some(n),
            _ => None,
        };
        let Some(allowed) = self.allowance() else {
            return Err(Outcome::Fail(format!("{err}, and the skip list does not list it")));
        };
        // The entry is used either way: a wrong feature is a failure, not a skip.
        self.entry_used.set(true);
        if !needs.is_none_or(|n| feature_covers(allowed, n)) {
            return Err(Outcome::Fail(format!("{err}, but the skip list names {allowed}")));
        }
        Ok(allowed.to_string())
    }

    /// Compiles `bytes`. A module that needs an unsupported feature must be allowed to by the
    /// skip list; then it is reduced (`reduce.rs`) and the reduced module compiled, or, when
    /// nothing compiles, `Err(Skip)`.
    fn load(&self, bytes: &[u8]) -> Result<Loaded, Outcome> {
        let err = match hayabusa_compiler::compile(bytes, &self.opts) {
            Ok(module) => return Ok(Loaded { module, bytes: bytes.to_vec(), cut: None }),
            Err(e) if e.kind == ErrorKind::Unsupported => e,
            Err(e) => return Err(Outcome::Fail(format!("compile failed: {e}"))),
        };
        let feature = self.allowed(&err)?;
        let check = |b: &[u8]| match hayabusa_compiler::validate::validate(b) {
            Ok(()) => Ok(()),
            Err(e) if e.kind == ErrorKind::Unsupported => Err(Some(e.offset)),
            Err(_) => Err(None),
        };
        let Some(r) = reduce(bytes, check) else { return Err(Outcome::Skip(feature)) };
        // The reduction validates; a compile error now is a compiler bug like any other.
        let module = hayabusa_compiler::compile(&r.bytes, &self.opts)
            .map_err(|e| Outcome::Fail(format!("reduced module failed to compile: {e}")))?;
        let cut = Cut { feature, tainted: r.tainted, removed: r.removed };
        Ok(Loaded { module, bytes: r.bytes, cut: Some(Arc::new(cut)) })
    }

    /// Compiles and instantiates. `Err` is a failure's reason (`unlinkable: ...`, `trap: ...`).
    fn instantiate(&self, bytes: &[u8]) -> Result<Slot, String> {
        match self.try_instantiate(bytes) {
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
    fn try_instantiate(&self, bytes: &[u8]) -> Result<Result<Slot, InstantiateError>, Outcome> {
        let Loaded { module, bytes, cut } = self.load(bytes)?;
        for imp in &module.info.imports {
            match self.registered.get(&imp.module) {
                Some(Slot::Skipped(f)) => return Ok(Ok(Slot::Skipped(f.clone()))),
                Some(Slot::Live(_, Some(c))) if c.removed.contains(&imp.name) || c.tainted.contains(&imp.name) => {
                    return Ok(Ok(Slot::Skipped(c.feature.clone())));
                }
                _ => {}
            }
        }
        let module: Arc<CompiledModule> = Arc::new(module);
        let resolve = |m: &str, n: &str| -> Option<Extern> {
            if m == "spectest" {
                return self.spectest.get(n).cloned();
            }
            match self.registered.get(m)? {
                Slot::Live(i, _) => i.export(n),
                Slot::Skipped(_) | Slot::Failed => None,
            }
        };
        Ok(Instance::new(&self.store, module, &bytes, &resolve).map(|i| Slot::Live(i, cut)))
    }

    /// The instance a directive names (or the current one), unless `export` is one its
    /// reduction lost (then the directive is skipped).
    fn instance(&self, module: Option<&str>, export: &str) -> Result<Instance, Outcome> {
        let slot = match module {
            Some(n) => self.named.get(n),
            None => self.current.as_ref(),
        };
        match slot {
            Some(Slot::Live(_, Some(c))) if c.tainted.contains(export) || c.removed.contains(export) => {
                Err(Outcome::Skip(c.feature.clone()))
            }
            Some(Slot::Live(i, _)) => Ok(i.clone()),
            Some(Slot::Skipped(f)) => Err(Outcome::Skip(f.clone())),
            Some(Slot::Failed) => Err(Outcome::Fail("its module failed to instantiate".into())),
            None => Err(Outcome::Fail("no module to run against".into())),
        }
    }

    /// `Err(outcome)` when the call could not be made; otherwise the call's result.
    fn invoke(&self, inv: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Trap>, Outcome> {
        let inst = self.instance(inv.module.map(|i| i.name()), inv.name)?;
        let Some(Extern::Func(f)) = inst.export(inv.name) else {
            return Err(Outcome::Fail(format!("no exported function {:?}", inv.name)));
        };
        if f.sig.params.len() != inv.args.len() {
            return Err(Outcome::Fail("argument count mismatch".into()));
        }
        let mut args = Vec::new();
        for (a, t) in inv.args.iter().zip(&f.sig.params) {
            args.push(values::arg(a, *t).map_err(Outcome::Fail)?);
        }
        Ok(f.call(&args))
    }

    /// Runs `exec`; with the call's result, the instance it ran against (to resolve
    /// `(ref.func N)` in the expected results).
    #[allow(clippy::type_complexity)]
    fn execute(&self, exec: WastExecute<'_>) -> Result<(Result<Vec<Val>, Trap>, Option<Instance>), Outcome> {
        match exec {
            WastExecute::Invoke(inv) => {
                let inst = self.instance(inv.module.map(|i| i.name()), inv.name)?;
                Ok((self.invoke(&inv)?, Some(inst)))
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module.map(|i| i.name()), global)?;
                match inst.export(global) {
                    Some(Extern::Global(g)) => Ok((Ok(vec![g.get()]), Some(inst))),
                    _ => Err(Outcome::Fail(format!("no exported global {global:?}"))),
                }
            }
            WastExecute::Wat(w) => {
                let bytes = QuoteWat::Wat(w).encode().map_err(|e| Outcome::Fail(e.to_string()))?;
                match self.instantiate(&bytes) {
                    Ok(slot) if slot.partial().is_some() => Err(Outcome::Skip(slot.partial().unwrap_or_default().into())),
                    Ok(_) => Ok((Ok(vec![]), None)),
                    Err(why) => Err(Outcome::Fail(why)),
                }
            }
        }
    }

    fn assert_return(&self, exec: WastExecute<'_>, results: &[wast::WastRet<'_>]) -> Outcome {
        let (got, inst) = match self.execute(exec) {
            Err(o) => return o,
            Ok((Err(t), _)) => return Outcome::Fail(format!("unexpected {t}")),
            Ok((Ok(v), inst)) => (v, inst),
        };
        if got.len() != results.len() {
            return Outcome::Fail(format!("expected {} results, got {got:?}", results.len()));
        }
        let func = |i: &wast::token::Index<'_>| -> Option<usize> {
            let inst = inst.as_ref()?;
            let index = match i {
                wast::token::Index::Num(n, _) => *n,
                wast::token::Index::Id(id) => {
                    *inst.module().info.func_names.iter().find(|(_, name)| name.as_str() == id.name())?.0
                }
            };
            let info = &inst.module().info;
            ((index as usize) < info.funcs.len()).then(|| inst.func(index).funcref())
        };
        for (r, v) in results.iter().zip(&got) {
            match values::matches(r, v, &func) {
                Ok(true) => {}
                Ok(false) => return Outcome::Fail(format!("expected {results:?}, got {got:?}")),
                Err(e) => return Outcome::Fail(e),
            }
        }
        Outcome::Pass
    }

    fn assert_trap(&self, exec: WastExecute<'_>, message: &str) -> Outcome {
        if let WastExecute::Wat(w) = exec {
            let bytes = match QuoteWat::Wat(w).encode() {
                Ok(b) => b,
                Err(e) => return Outcome::Fail(e.to_string()),
            };
            return match self.try_instantiate(&bytes) {
                Err(Outcome::Skip(f)) => Outcome::Skip(f),
                Err(o) => o,
                Ok(Ok(slot)) if slot.partial().is_some() => Outcome::Skip(slot.partial().unwrap_or_default().into()),
                Ok(Err(InstantiateError::Trap(t))) if trap_matches(&t, message) => Outcome::Pass,
                Ok(Err(e)) => Outcome::Fail(format!("expected trap {message}, got {e}")),
                Ok(Ok(_)) => Outcome::Fail(format!("expected trap {message}, but it instantiated")),
            };
        }
        match self.execute(exec) {
            Err(o) => o,
            Ok((Err(t), _)) if trap_matches(&t, message) => Outcome::Pass,
            Ok((Err(t), _)) => Outcome::Fail(format!("expected trap {message}, got {t}")),
            Ok((Ok(v), _)) => Outcome::Fail(format!("expected trap {message}, got {v:?}")),
        }
    }

    fn assert_rejected(&self, mut module: QuoteWat<'_>, message: &str) -> Outcome {
        let bytes = match module.encode() {
            Ok(b) => b,
            Err(_) => return Outcome::Pass, // rejected by the text parser
        };
        match hayabusa_compiler::compile(&bytes, &self.opts) {
            Err(e) if e.kind == ErrorKind::Invalid => Outcome::Pass,
            // Our validator cannot tell this module's error from a feature it lacks.
            Err(e) if e.kind == ErrorKind::Unsupported => match self.allowed(&e) {
                Ok(f) => Outcome::Skip(f),
                Err(o) => o,
            },
            Err(e) => Outcome::Fail(format!("expected invalid ({message}), got {e}")),
            Ok(_) => Outcome::Fail(format!("expected rejection ({message}), but it compiled")),
        }
    }
}

/// Whether the skip list's feature `allowed` (`a` or `a+b+...`) covers what the compiler says
/// a module needs (`needs`, also possibly `a+b`). `gc` includes `function-references`, which it
/// builds on.
fn feature_covers(allowed: &str, needs: &str) -> bool {
    let allowed: Vec<&str> = allowed.split('+').collect();
    needs.split('+').all(|n| allowed.contains(&n) || (n == "function-references" && allowed.contains(&"gc")))
}

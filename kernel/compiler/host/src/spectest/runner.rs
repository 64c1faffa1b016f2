//! One script's state (instances, registrations, skips) and what each directive does.

use super::host_module::spectest_exports;
use super::skips::Skips;
use super::values;
use crate::{Extern, Instance, InstantiateError, Store, Trap, Val};
use hayabusa_compiler::{CompileOptions, CompiledModule, ErrorKind, TrapKind};
use std::collections::HashMap;
use std::sync::Arc;
use wast::{QuoteWat, WastDirective, WastExecute, WastInvoke};

#[derive(Clone)]
enum Slot {
    Live(Instance),
    /// Not instantiated because of a listed skip (its feature).
    Skipped(String),
    /// Failed to compile or instantiate: what uses it fails too.
    Failed,
}

pub(super) enum Outcome {
    Pass,
    Fail(String),
    /// Skipped for this feature.
    Skip(String),
}

pub(super) struct Runner<'a> {
    skips: &'a Skips,
    file: &'a str,
    opts: CompileOptions,
    spectest: HashMap<&'static str, Extern>,
    registered: HashMap<String, Slot>,
    named: HashMap<String, Slot>,
    definitions: HashMap<String, Vec<u8>>,
    current: Option<Slot>,
    store: Store,
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
        }
    }

    pub(super) fn directive(&mut self, d: WastDirective<'_>, line: usize) -> Outcome {
        if let Some(feature) = self.skips.directive(self.file, line) {
            let feature = feature.to_string();
            match &d {
                WastDirective::Module(m) | WastDirective::ModuleDefinition(m) => {
                    self.set_current(m.name().map(|i| i.name()), Slot::Skipped(feature.clone()));
                }
                WastDirective::ModuleInstance { instance, .. } => {
                    self.set_current(instance.map(|i| i.name()), Slot::Skipped(feature.clone()));
                }
                _ => {}
            }
            return Outcome::Skip(feature);
        }
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name().map(|i| i.name());
                match m.encode() {
                    Err(e) => Outcome::Fail(format!("cannot encode module: {e}")),
                    Ok(bytes) => match self.instantiate(&bytes) {
                        Ok(slot) => {
                            let outcome = match &slot {
                                Slot::Skipped(f) => Outcome::Skip(f.clone()),
                                _ => Outcome::Pass,
                            };
                            self.set_current(name, slot);
                            outcome
                        }
                        Err(why) => {
                            self.set_current(name, Slot::Failed);
                            Outcome::Fail(why)
                        }
                    },
                }
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name().map(|i| i.name().to_string()).unwrap_or_default();
                match m.encode() {
                    Err(e) => Outcome::Fail(format!("cannot encode module: {e}")),
                    Ok(bytes) => match hayabusa_compiler::compile(&bytes, &self.opts) {
                        Ok(_) => {
                            self.definitions.insert(name, bytes);
                            Outcome::Pass
                        }
                        Err(e) => Outcome::Fail(format!("compile failed: {e}")),
                    },
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let def = module.map(|m| m.name().to_string()).unwrap_or_default();
                let Some(bytes) = self.definitions.get(&def).cloned() else {
                    return Outcome::Fail(format!("no module definition {def}"));
                };
                match self.instantiate(&bytes) {
                    Ok(slot) => {
                        self.set_current(instance.map(|i| i.name()), slot);
                        Outcome::Pass
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
                    Ok(Slot::Skipped(f)) => Outcome::Skip(f),
                    Ok(_) => Outcome::Fail(format!("expected unlinkable ({message}), but it linked")),
                }
            }
            other => Outcome::Fail(format!("unsupported directive {:?}", std::mem::discriminant(&other))),
        }
    }

    fn set_current(&mut self, name: Option<&str>, slot: Slot) {
        if let Some(n) = name {
            self.named.insert(n.to_string(), slot.clone());
        }
        self.current = Some(slot);
    }

    /// Compiles and instantiates; a module importing from a skipped module is skipped too.
    fn instantiate(&self, bytes: &[u8]) -> Result<Slot, String> {
        match self.try_instantiate(bytes)? {
            Ok(slot) => Ok(slot),
            Err(InstantiateError::Unlinkable(m)) => Err(format!("unlinkable: {m}")),
            Err(InstantiateError::Trap(t)) => Err(format!("trap: {t}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Outer error: the module did not compile; inner: instantiation's own result.
    fn try_instantiate(&self, bytes: &[u8]) -> Result<Result<Slot, InstantiateError>, String> {
        let module = hayabusa_compiler::compile(bytes, &self.opts).map_err(|e| format!("compile failed: {e}"))?;
        for imp in &module.info.imports {
            if let Some(Slot::Skipped(f)) = self.registered.get(&imp.module) {
                return Ok(Ok(Slot::Skipped(f.clone())));
            }
        }
        let module: Arc<CompiledModule> = Arc::new(module);
        let resolve = |m: &str, n: &str| -> Option<Extern> {
            if m == "spectest" {
                return self.spectest.get(n).cloned();
            }
            match self.registered.get(m)? {
                Slot::Live(i) => i.export(n),
                Slot::Skipped(_) | Slot::Failed => None,
            }
        };
        Ok(Instance::new(&self.store, module, bytes, &resolve).map(Slot::Live))
    }

    fn instance(&self, module: Option<&str>) -> Result<Instance, Outcome> {
        let slot = match module {
            Some(n) => self.named.get(n),
            None => self.current.as_ref(),
        };
        match slot {
            Some(Slot::Live(i)) => Ok(i.clone()),
            Some(Slot::Skipped(f)) => Err(Outcome::Skip(f.clone())),
            Some(Slot::Failed) => Err(Outcome::Fail("its module failed to instantiate".into())),
            None => Err(Outcome::Fail("no module to run against".into())),
        }
    }

    /// `Err(outcome)` when the call could not be made; otherwise the call's result.
    fn invoke(&self, inv: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Trap>, Outcome> {
        let inst = self.instance(inv.module.map(|i| i.name()))?;
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

    fn execute(&self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Trap>, Outcome> {
        match exec {
            WastExecute::Invoke(inv) => self.invoke(&inv),
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module.map(|i| i.name()))?;
                match inst.export(global) {
                    Some(Extern::Global(g)) => Ok(Ok(vec![g.get()])),
                    _ => Err(Outcome::Fail(format!("no exported global {global:?}"))),
                }
            }
            WastExecute::Wat(w) => {
                let bytes = QuoteWat::Wat(w).encode().map_err(|e| Outcome::Fail(e.to_string()))?;
                match self.instantiate(&bytes) {
                    Ok(Slot::Skipped(f)) => Err(Outcome::Skip(f)),
                    Ok(_) => Ok(Ok(vec![])),
                    Err(why) => Err(Outcome::Fail(why)),
                }
            }
        }
    }

    fn assert_return(&self, exec: WastExecute<'_>, results: &[wast::WastRet<'_>]) -> Outcome {
        let got = match self.execute(exec) {
            Err(o) => return o,
            Ok(Err(t)) => return Outcome::Fail(format!("unexpected {t}")),
            Ok(Ok(v)) => v,
        };
        if got.len() != results.len() {
            return Outcome::Fail(format!("expected {} results, got {got:?}", results.len()));
        }
        for (r, v) in results.iter().zip(&got) {
            match values::matches(r, v) {
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
                Err(why) => Outcome::Fail(why),
                Ok(Ok(Slot::Skipped(f))) => Outcome::Skip(f),
                Ok(Err(InstantiateError::Trap(t))) if trap_matches(&t, message) => Outcome::Pass,
                Ok(Err(e)) => Outcome::Fail(format!("expected trap {message}, got {e}")),
                Ok(Ok(_)) => Outcome::Fail(format!("expected trap {message}, but it instantiated")),
            };
        }
        match self.execute(exec) {
            Err(o) => o,
            Ok(Err(t)) if trap_matches(&t, message) => Outcome::Pass,
            Ok(Err(t)) => Outcome::Fail(format!("expected trap {message}, got {t}")),
            Ok(Ok(v)) => Outcome::Fail(format!("expected trap {message}, got {v:?}")),
        }
    }

    fn assert_rejected(&self, mut module: QuoteWat<'_>, message: &str) -> Outcome {
        let bytes = match module.encode() {
            Ok(b) => b,
            Err(_) => return Outcome::Pass, // rejected by the text parser
        };
        match hayabusa_compiler::compile(&bytes, &self.opts) {
            Err(e) if e.kind == ErrorKind::Invalid => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("expected invalid ({message}), got {e}")),
            Ok(_) => Outcome::Fail(format!("expected rejection ({message}), but it compiled")),
        }
    }
}

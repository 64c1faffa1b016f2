//! Lowers a `.wast` file to the shared [`Script`]: encodes modules, looks each directive up in
//! the skip list, and cuts down (`reduce.rs`) a module that needs a feature its entry allows.
//! What can only be known by running (compiling, linking, calling) is left to the executor.

use super::reduce::reduce;
use super::skips::Skips;
use super::values;
use hayabusa_compiler::ErrorKind;
use hayabusa_spectest::script::{Action, Command, Cut, Directive, Load, Script};
use hayabusa_spectest::skips::allowed;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke};

/// Lowers `text`, the contents of `file`.
pub fn lower_file(file: &str, text: &str, skips: &Skips) -> Script {
    let mut script = Script { file: file.to_string(), file_skip: skips.file(file).map(str::to_string), ..Script::default() };
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            script.unparsable = Some(e.to_string());
            return script;
        }
    };
    let wast = match parser::parse::<Wast>(&buf) {
        Ok(w) => w,
        Err(e) => {
            script.unparsable = Some(e.to_string());
            return script;
        }
    };
    let mut lower = Lowerer { definitions: HashMap::new(), allowance: None, entry_used: false };
    for d in wast.directives {
        let line = d.span().linecol_in(text).0 + 1;
        let listed = skips.directive(file, line).map(str::to_string);
        lower.allowance = listed.clone().or_else(|| skips.file(file).map(str::to_string));
        lower.entry_used = false;
        let command = match catch_unwind(AssertUnwindSafe(|| lower.directive(d))) {
            Ok(c) => c,
            Err(p) => {
                let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                Command::Fail(format!("panic: {}", msg.unwrap_or_default()))
            }
        };
        let (allowance, entry_used) = (lower.allowance.take(), lower.entry_used);
        script.directives.push(Directive { line: line as u32, listed, allowance, entry_used, command });
    }
    script
}

struct Lowerer {
    /// Module definitions by name: their bytes, or `None` when the definition was skipped.
    definitions: HashMap<String, Option<Vec<u8>>>,
    /// The directive's skip allowance, and whether lowering used its entry.
    allowance: Option<String>,
    entry_used: bool,
}

fn encode_failed(e: wast::Error) -> Command {
    Command::Fail(format!("cannot encode module: {e}"))
}

impl Lowerer {
    fn directive(&mut self, d: WastDirective<'_>) -> Command {
        match d {
            WastDirective::Module(mut m) => {
                let name = m.name().map(|i| i.name().to_string());
                match m.encode() {
                    Ok(bytes) => Command::Module { name, load: self.load(&bytes) },
                    Err(e) => encode_failed(e),
                }
            }
            WastDirective::ModuleDefinition(mut m) => {
                let name = m.name().map(|i| i.name().to_string()).unwrap_or_default();
                let bytes = match m.encode() {
                    Ok(b) => b,
                    Err(e) => return encode_failed(e),
                };
                let load = self.load(&bytes);
                match &load {
                    Load::Bytes(..) => self.definitions.insert(name.clone(), Some(bytes)),
                    Load::Skipped(_) => self.definitions.insert(name.clone(), None),
                    Load::Fail(_) => None,
                };
                Command::Definition { name, load }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let module = module.map(|m| m.name().to_string()).unwrap_or_default();
                // Lowered again under this directive's own skip entry, as the runner would load
                // it again; the executor decides whether the definition exists.
                let load = match self.definitions.get(&module).cloned() {
                    Some(Some(bytes)) => self.load(&bytes),
                    _ => Load::Fail(format!("no module definition {module}")),
                };
                Command::Instance { instance: instance.map(|i| i.name().to_string()), module, load }
            }
            WastDirective::Register { name, module, .. } => {
                Command::Register { name: name.to_string(), module: module.map(|m| m.name().to_string()) }
            }
            WastDirective::Invoke(inv) => match invoke(&inv) {
                Ok(a) => Command::Action(a),
                Err(why) => Command::Fail(why),
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.action(exec) {
                Ok(action) => Command::AssertReturn { action, results: results.iter().map(values::expected).collect() },
                Err(why) => Command::Fail(why),
            },
            WastDirective::AssertTrap { exec, message, .. } => match self.action(exec) {
                Ok(action) => Command::AssertTrap { action, message: message.to_string() },
                Err(why) => Command::Fail(why),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match invoke(&call) {
                Ok(action) => Command::AssertExhaustion { action, message: message.to_string() },
                Err(why) => Command::Fail(why),
            },
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => {
                Command::AssertRejected { bytes: module.encode().ok(), message: message.to_string() }
            }
            WastDirective::AssertUnlinkable { module, message, .. } => match QuoteWat::Wat(module).encode() {
                Ok(bytes) => Command::AssertUnlinkable { load: self.load(&bytes), message: message.to_string() },
                Err(e) => encode_failed(e),
            },
            WastDirective::AssertException { exec, .. } => match self.action(exec) {
                Ok(action) => Command::AssertException { action },
                Err(why) => Command::Fail(why),
            },
            other => Command::Fail(format!("unsupported directive {:?}", std::mem::discriminant(&other))),
        }
    }

    /// What `exec` runs, or why it cannot be lowered (the directive fails).
    fn action(&mut self, exec: WastExecute<'_>) -> Result<Action, String> {
        match exec {
            WastExecute::Invoke(inv) => invoke(&inv),
            WastExecute::Get { module, global, .. } => {
                Ok(Action::Get { module: module.map(|m| m.name().to_string()), global: global.to_string() })
            }
            WastExecute::Wat(w) => match QuoteWat::Wat(w).encode() {
                Ok(bytes) => Ok(Action::Instantiate(self.load(&bytes))),
                Err(e) => Err(e.to_string()),
            },
        }
    }

    /// A module as the executor will compile it. One the validator refuses for an unsupported
    /// feature must be allowed by the skip list; then it is reduced (`reduce.rs`), or skipped
    /// when no reduction validates. Any other validation error is left for the compile.
    fn load(&mut self, bytes: &[u8]) -> Load {
        let err = match hayabusa_compiler::validate::validate(bytes) {
            Err(e) if e.kind == ErrorKind::Unsupported => e,
            _ => return Load::Bytes(bytes.to_vec(), None),
        };
        let feature = match allowed(self.allowance.as_deref(), &err, &mut self.entry_used) {
            Ok(f) => f,
            Err(why) => return Load::Fail(why),
        };
        let check = |b: &[u8]| match hayabusa_compiler::validate::validate(b) {
            Ok(()) => Ok(()),
            Err(e) if e.kind == ErrorKind::Unsupported => Err(Some(e.offset)),
            Err(_) => Err(None),
        };
        let Some(r) = reduce(bytes, check) else { return Load::Skipped(feature) };
        let sorted = |s: std::collections::HashSet<String>| {
            let mut v: Vec<String> = s.into_iter().collect();
            v.sort();
            v
        };
        Load::Bytes(r.bytes, Some(Cut { feature, tainted: sorted(r.tainted), removed: sorted(r.removed) }))
    }
}

fn invoke(inv: &WastInvoke<'_>) -> Result<Action, String> {
    let args = inv.args.iter().map(values::arg).collect::<Result<Vec<_>, _>>()?;
    Ok(Action::Invoke { module: inv.module.map(|m| m.name().to_string()), name: inv.name.to_string(), args })
}

//! The engine under test: this compiler (`hayabusa-compiler`) and the Linux runtime
//! (`hayabusa-compiler-host`).

use crate::trace::{State, TrapKind, Value, fnv1a};
use hayabusa_compiler::{CompileOptions, CompiledModule, TrapKind as Ours};
use hayabusa_compiler_host::{Extern, Instance, InstantiateError, Store, Val};
use std::sync::Arc;

pub struct Hayabusa {
    instance: Instance,
    _store: Store,
}

pub fn trap_kind(kind: Ours) -> TrapKind {
    match kind {
        Ours::Unreachable => TrapKind::Unreachable,
        Ours::IntegerDivideByZero => TrapKind::IntegerDivideByZero,
        Ours::IntegerOverflow => TrapKind::IntegerOverflow,
        Ours::BadConversionToInteger => TrapKind::BadConversionToInteger,
        Ours::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Ours::TableOutOfBounds | Ours::UndefinedElement => TrapKind::TableOutOfBounds,
        Ours::UninitializedElement => TrapKind::IndirectCallToNull,
        Ours::IndirectCallTypeMismatch => TrapKind::BadSignature,
        Ours::StackOverflow => TrapKind::StackOverflow,
        other => TrapKind::Other(format!("{other:?}")),
    }
}

fn to_val(v: Value) -> Val {
    match v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(b) => Val::F32(b),
        Value::F64(b) => Val::F64(b),
        Value::FuncRef { .. } => Val::FuncRef(0),
        Value::ExternRef { .. } => Val::ExternRef(0),
        Value::V128(b) => Val::V128(b),
    }
}

fn from_val(v: Val) -> Value {
    match v {
        Val::I32(x) => Value::I32(x),
        Val::I64(x) => Value::I64(x),
        Val::F32(b) => Value::F32(b),
        Val::F64(b) => Value::F64(b),
        Val::FuncRef(w) => Value::FuncRef { null: w == 0 },
        Val::ExternRef(w) => Value::ExternRef { null: w == 0 },
        Val::V128(b) => Value::V128(b),
    }
}

/// Compiles `wasm`; an error is a failure of the test (the module is in the supported set).
pub fn compile(wasm: &[u8], opts: &CompileOptions) -> Result<CompiledModule, String> {
    hayabusa_compiler::compile(wasm, opts).map_err(|e| format!("hayabusa failed to compile the module: {e}"))
}

impl Hayabusa {
    /// Instantiates; `Err(Ok(kind))` when instantiation trapped, `Err(Err(why))` otherwise.
    pub fn instantiate(module: Arc<CompiledModule>, wasm: &[u8]) -> Result<Hayabusa, Result<TrapKind, String>> {
        let store = Store::new();
        match Instance::new(&store, module, wasm, &|_, _| None) {
            Ok(instance) => Ok(Hayabusa { instance, _store: store }),
            Err(InstantiateError::Trap(t)) => Err(Ok(trap_kind(t.kind))),
            Err(e) => Err(Err(e.to_string())),
        }
    }

    pub fn call(&self, export: &str, args: &[Value]) -> Result<Vec<Value>, TrapKind> {
        let Some(Extern::Func(f)) = self.instance.export(export) else {
            return Err(TrapKind::Other(format!("no exported function {export:?}")));
        };
        let args: Vec<Val> = args.iter().map(|a| to_val(*a)).collect();
        match f.call(&args) {
            Ok(vs) => Ok(vs.into_iter().map(from_val).collect()),
            Err(t) => Err(trap_kind(t.kind)),
        }
    }

    pub fn state(&self, globals: &[String], tables: &[String]) -> State {
        let memory = self.instance.memory().and_then(|m| m.read(0, m.len_bytes())).unwrap_or_default();
        let globals = globals
            .iter()
            .map(|g| match self.instance.export(g) {
                Some(Extern::Global(g)) => from_val(g.get()),
                _ => Value::I32(i32::MIN),
            })
            .collect();
        let tables = tables
            .iter()
            .map(|t| match self.instance.export(t) {
                Some(Extern::Table(t)) => t.len(),
                _ => u64::MAX,
            })
            .collect();
        State { memory_bytes: memory.len() as u64, memory_hash: fnv1a(&memory), globals, tables }
    }
}

//! The reference engine: wasmi, an interpreter maintained apart from this project.

use crate::trace::{State, TrapKind, Value, fnv1a};
use wasmi::{Config, Engine, errors::ErrorKind, Extern, Instance, Module, Ref, Store, TrapCode, Val};

pub struct Wasmi {
    store: Store<()>,
    instance: Instance,
}

/// wasmi's error as a trap kind. Besides trap codes, wasmi 1.x ends a bulk table or memory
/// operation out of bounds with a table or memory error rather than a trap code, and an active
/// element segment that does not fit with an instantiation error: the same traps.
fn trap_kind(e: &wasmi::Error) -> TrapKind {
    use wasmi::errors::{InstantiationError, MemoryError, TableError};
    match e.kind() {
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
            return TrapKind::TableOutOfBounds;
        }
        ErrorKind::Table(
            TableError::CopyOutOfBounds
            | TableError::InitOutOfBounds
            | TableError::FillOutOfBounds
            | TableError::SetOutOfBounds,
        ) => return TrapKind::TableOutOfBounds,
        ErrorKind::Memory(MemoryError::OutOfBoundsAccess) => return TrapKind::MemoryOutOfBounds,
        _ => {}
    }
    match e.as_trap_code() {
        Some(TrapCode::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(TrapCode::MemoryOutOfBounds) => TrapKind::MemoryOutOfBounds,
        Some(TrapCode::TableOutOfBounds) => TrapKind::TableOutOfBounds,
        Some(TrapCode::IndirectCallToNull) => TrapKind::IndirectCallToNull,
        Some(TrapCode::IntegerDivisionByZero) => TrapKind::IntegerDivideByZero,
        Some(TrapCode::IntegerOverflow) => TrapKind::IntegerOverflow,
        Some(TrapCode::BadConversionToInteger) => TrapKind::BadConversionToInteger,
        Some(TrapCode::StackOverflow) => TrapKind::StackOverflow,
        Some(TrapCode::BadSignature) => TrapKind::BadSignature,
        _ => TrapKind::Other(e.to_string()),
    }
}

fn to_val(v: Value) -> Val {
    match v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(b) => Val::F32(f32::from_bits(b).into()),
        Value::F64(b) => Val::F64(f64::from_bits(b).into()),
        Value::FuncRef { .. } => Val::FuncRef(Ref::Null),
        Value::ExternRef { .. } => Val::ExternRef(Ref::Null),
        Value::V128(b) => Val::V128(b.into()),
    }
}

fn from_val(v: &Val) -> Value {
    match v {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(f) => Value::F32(f.to_bits()),
        Val::F64(f) => Value::F64(f.to_bits()),
        Val::FuncRef(r) => Value::FuncRef { null: r.is_null() },
        Val::ExternRef(r) => Value::ExternRef { null: r.is_null() },
        Val::V128(b) => Value::V128(u128::from_le_bytes(b.as_u128().to_ne_bytes())),
    }
}

impl Wasmi {
    /// Instantiates (and runs the start function); `Err(Ok(kind))` when that trapped,
    /// `Err(Err(why))` when wasmi refused the module.
    pub fn instantiate(wasm: &[u8]) -> Result<Wasmi, Result<TrapKind, String>> {
        // Room for every call the fuel allows (wasmi's default depth, 1000, is the fuel itself),
        // so that neither engine's stack runs out before the fuel does.
        let mut config = Config::default();
        config.wasm_simd(true);
        config.set_max_recursion_depth(1 << 20).set_max_stack_height(1 << 24);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wasm).map_err(|e| Err(format!("wasmi refused the module: {e}")))?;
        let mut store = Store::new(&engine, ());
        match Instance::new(&mut store, &module, &[]) {
            Ok(instance) => Ok(Wasmi { store, instance }),
            Err(e) => match trap_kind(&e) {
                TrapKind::Other(_) => Err(Err(format!("wasmi failed to instantiate: {e}"))),
                kind => Err(Ok(kind)),
            },
        }
    }

    pub fn call(&mut self, export: &str, args: &[Value]) -> Result<Vec<Value>, TrapKind> {
        let Some(f) = self.instance.get_func(&self.store, export) else {
            return Err(TrapKind::Other(format!("no exported function {export:?}")));
        };
        let ty = f.ty(&self.store);
        let args: Vec<Val> = args.iter().map(|a| to_val(*a)).collect();
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default(*t)).collect();
        match f.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(results.iter().map(from_val).collect()),
            Err(e) => Err(trap_kind(&e)),
        }
    }

    pub fn state(&self, globals: &[String], tables: &[String]) -> State {
        let memory = self
            .instance
            .exports(&self.store)
            .find_map(|e| e.into_memory())
            .map(|m| m.data(&self.store).to_vec())
            .unwrap_or_default();
        let globals = globals
            .iter()
            .map(|g| match self.instance.get_export(&self.store, g) {
                Some(Extern::Global(g)) => from_val(&g.get(&self.store)),
                _ => Value::I32(i32::MIN),
            })
            .collect();
        let tables = tables
            .iter()
            .map(|t| match self.instance.get_export(&self.store, t) {
                Some(Extern::Table(t)) => t.size(&self.store),
                _ => u64::MAX,
            })
            .collect();
        State { memory_bytes: memory.len() as u64, memory_hash: fnv1a(&memory), globals, tables }
    }
}

//! A lowered `.wast` script: what each directive does, with modules as binary bytes and values
//! as bits, after the host's text parsing, module reduction and skip-list lookups.

use alloc::string::String;
use alloc::vec::Vec;

/// One `.wast` file, lowered.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Script {
    /// The file's name (`i32.wast`).
    pub file: String,
    /// The feature the skip list names for the whole file.
    pub file_skip: Option<String>,
    /// Why the host could not parse the file (then `directives` is empty).
    pub unparsable: Option<String>,
    pub directives: Vec<Directive>,
}

/// One directive and its place in the skip list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Line (1-based) where the directive starts.
    pub line: u32,
    /// The feature the skip list names for this directive (`FILE:LINE`).
    pub listed: Option<String>,
    /// The feature this directive's modules may lack: its own entry, or its file's.
    pub allowance: Option<String>,
    /// Whether lowering already used the skip entry (a refused module was allowed by it).
    pub entry_used: bool,
    pub command: Command,
}

/// A module as lowering found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Load {
    /// Bytes to compile: the module itself, or its reduction with what the cut changed.
    Bytes(Vec<u8>, Option<Cut>),
    /// It needs this unsupported feature and no reduction of it validates.
    Skipped(String),
    /// It cannot be run at all (text encoding failed, or a refusal the skip list does not allow).
    Fail(String),
}

/// What a reduced module lost: assertions on these exports are skipped.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Cut {
    pub feature: String,
    /// Exports whose function, table or global the cut changed or reaches.
    pub tainted: Vec<String>,
    /// Exports the cut removed.
    pub removed: Vec<String>,
}

impl Cut {
    /// Whether the cut changed or removed export `name`.
    pub fn touches(&self, name: &str) -> bool {
        self.tainted.iter().chain(&self.removed).any(|n| n == name)
    }
}

/// What a directive runs and checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `(module $name ...)`: instantiate, and make it the current module.
    Module { name: Option<String>, load: Load },
    /// `(module definition $name ...)`: compile only, for later `(module instance ...)`s.
    Definition { name: String, load: Load },
    /// `(module instance $instance $module)`: `load` is the definition lowered again for this
    /// directive (its own skip entry).
    Instance { instance: Option<String>, module: String, load: Load },
    /// `(register "name" $module)`.
    Register { name: String, module: Option<String> },
    /// `(invoke ...)` / `(get ...)` on its own: must not trap.
    Action(Action),
    AssertReturn { action: Action, results: Vec<Expected> },
    AssertTrap { action: Action, message: String },
    AssertExhaustion { action: Action, message: String },
    /// `assert_invalid` / `assert_malformed`: `None` when the text parser already rejected it.
    AssertRejected { bytes: Option<Vec<u8>>, message: String },
    AssertUnlinkable { load: Load, message: String },
    AssertException { action: Action },
    /// A directive lowering could not express: a failure with this reason.
    Fail(String),
}

/// What an assertion executes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Invoke { module: Option<String>, name: String, args: Vec<Arg> },
    Get { module: Option<String>, global: String },
    /// Instantiate an inline module.
    Instantiate(Load),
}

/// An argument. References: `RefExtern(n)` is the host's reference number `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefExtern(u32),
}

/// A float expectation (bits widened to 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatPat {
    Value(u64),
    CanonicalNan,
    ArithmeticNan,
}

/// The heap type `(ref.null T)` names, as far as results can tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullKind {
    Any,
    Func,
    Extern,
}

/// A function `(ref.func N)` names: by index or by its `$name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FuncId {
    Index(u32),
    Name(String),
}

/// An expected result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    I32(i32),
    I64(i64),
    F32(FloatPat),
    F64(FloatPat),
    /// Integer lanes of `bits` bits each, lane 0 first.
    V128Ints { bits: u8, lanes: Vec<u64> },
    /// Float lanes of 32 or 64 bits.
    V128Floats { bits: u8, lanes: Vec<FloatPat> },
    RefNull(NullKind),
    /// `(ref.extern N)`, or any non-null externref.
    RefExtern(Option<u32>),
    /// `(ref.func N)`, or any non-null funcref.
    RefFunc(Option<FuncId>),
    Either(Vec<Expected>),
    /// A result this runtime has no value for (`(ref.i31)`, ...): matches nothing.
    Never(String),
    /// A result the runner cannot check (component values): an error.
    Unsupported(String),
}

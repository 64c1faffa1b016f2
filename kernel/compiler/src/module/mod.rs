//! A module's declarations (types, imports, tables, memories, globals, segments, names), parsed once.

mod constexpr;
mod parse;
mod types;

pub use constexpr::{ConstExpr, ConstOp};
pub use parse::{CodeSize, code_size, parse};
pub use types::*;

pub(crate) use parse::val_type as parse_val_type;

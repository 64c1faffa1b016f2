//! A `.wast` spec-test runner over this runtime (used by `cargo xtask spectest`).

mod host_module;
mod reduce;
mod run;
mod runner;
mod skips;
mod values;

pub use run::{FileReport, run_file};
pub use skips::Skips;

//! A `.wast` spec-test runner over this runtime (used by `cargo xtask spectest`): scripts are
//! lowered here ([`lower_file`]) and run by the executor the kernel shares
//! (`hayabusa-spectest`).

mod lower;
mod reduce;
mod run;
mod skips;
mod values;

pub use hayabusa_spectest::FileReport;
pub use lower::lower_file;
pub use run::run_file;
pub use skips::Skips;

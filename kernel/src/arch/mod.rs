//! CPU-specific code. Only x86_64 exists; everything that touches registers, ports, MSRs or
//! descriptor tables lives below this module.
pub mod x86_64;

pub use self::x86_64::*;

//! Architecture support. Only AArch64 exists; the rest of the kernel uses
//! `crate::arch::*` so the architecture stays in one place.

pub mod aarch64;
pub use aarch64::*;

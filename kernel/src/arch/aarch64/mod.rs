//! Everything specific to the AArch64 architecture: boot assembly, the
//! exception vectors and trap handling, the MMU, the generic timer, cache and
//! CPU control, semihosting, and frame-pointer backtraces.

pub mod backtrace;
pub mod context;
pub mod cpu;
pub mod fault;
pub mod mmu;
pub mod semihosting;
pub mod timer;
pub mod trap;

core::arch::global_asm!(include_str!("boot.s"));
core::arch::global_asm!(include_str!("vectors.s"));

//! Memory management: what RAM exists ([`memmap`]), the kernel image's
//! layout ([`layout`]), physical frames ([`frames`]) and the kernel heap
//! ([`heap`]). The kernel's page tables live in `arch::aarch64::mmu`.

pub mod frames;
pub mod heap;
pub mod layout;
pub mod memmap;

//! Memory management: what RAM exists ([`memmap`]), the kernel image's
//! layout ([`layout`]), physical frames ([`frames`]), the kernel heap
//! ([`heap`]), user address spaces ([`addrspace`]) and checked copies to and
//! from user memory ([`usercopy`]). The kernel's own page tables live in
//! `arch::aarch64::mmu`.

pub mod addrspace;
pub mod frames;
pub mod heap;
pub mod layout;
pub mod memmap;
pub mod usercopy;

//! The user address space, as every process sees it.

/// Nothing is mapped below this (null-pointer guard).
pub const USER_MIN: usize = 0x1_0000;
/// First address above user space (TTBR0 covers `0..USER_END`).
pub const USER_END: usize = 0x0000_8000_0000_0000;
/// Where programs are linked (`user/user.ld`).
pub const PROGRAM_BASE: usize = 0x40_0000;
/// Where the runtime grows its heap with fixed-address `mem_map` calls.
pub const HEAP_BASE: usize = 0x1000_0000;
/// Where `mem_map(0, ..)` places mappings the kernel chooses.
pub const MMAP_BASE: usize = 0x10_0000_0000;
/// Top of the main thread's stack (exclusive).
pub const STACK_TOP: usize = 0x0000_7fff_ffff_0000;
/// Stack size; one unmapped guard page lies below it.
pub const STACK_SIZE: usize = 64 * 1024;
/// Page size.
pub const PAGE_SIZE: usize = 4096;

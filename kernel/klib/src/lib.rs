//! Portable kernel logic: code with no hardware access, so it compiles for
//! the host and is unit-tested there with `cargo test -p klib`.
//!
//! - [`frames`]: the physical frame allocator's bitmap and range arithmetic.
//! - [`mbr`]: MBR partition tables.
//! - [`path`]: joining and normalising paths.
//! - [`paging`]: AArch64 translation-table descriptors and a table walker.
//! - [`account`]: hierarchical resource accounts (quotas that no family of
//!   processes can use to exhaust a global resource).
//! - [`handles`]: per-process handle tables with rights and generations.
//! - [`ipc`]: channel endpoints and message queues.
//! - [`elf`]: validating static AArch64 executables before loading.
//! - [`cpio`]: reading the initial program archive.
//! - [`esr`]: decoding of the Exception Syndrome Register for fault reports.
#![cfg_attr(not(test), no_std)]

#[cfg(any(test, feature = "alloc"))]
extern crate alloc;

#[cfg(any(test, feature = "alloc"))]
pub mod account;
pub mod cpio;
pub mod elf;
pub mod esr;
pub mod frames;
pub mod handles;
#[cfg(any(test, feature = "alloc"))]
pub mod ipc;
pub mod mbr;
pub mod paging;
#[cfg(any(test, feature = "alloc"))]
pub mod path;
pub mod time;

/// The translation granule and page size: 4 KiB.
pub const PAGE_SIZE: usize = 4096;

/// Round `x` down to a multiple of `align` (a power of two).
pub const fn align_down(x: usize, align: usize) -> usize {
    x & !(align - 1)
}

/// Round `x` up to a multiple of `align` (a power of two), saturating at the
/// largest aligned value instead of wrapping.
pub const fn align_up(x: usize, align: usize) -> usize {
    match x.checked_add(align - 1) {
        Some(v) => v & !(align - 1),
        None => usize::MAX & !(align - 1),
    }
}

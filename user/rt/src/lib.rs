//! The user-space runtime library. Empty until EL0 processes exist: it will
//! provide `_start`, `println!`, an allocator and typed system-call wrappers.
#![no_std]

pub use abi;

//! Host-side tooling for the kernel: turns the kernel ELF into the flat image
//! the Raspberry Pi firmware loads, builds QEMU command lines for each board,
//! and runs a test build of the kernel under QEMU, judging its console output
//! and symbolizing any backtrace in it; it plays scripted sessions on the
//! interactive shell's console ([`shelltest`]); and it builds the flashable
//! Raspberry Pi SD card image ([`sdimage`]).
//!
//! The `bootimg` binary is a thin wrapper around [`commands::main`]; the
//! pieces are public so the tests can exercise them directly.

pub mod backtrace;
pub mod board;
pub mod cli;
pub mod commands;
pub mod objcopy;
pub mod qemu;
pub mod runner;
pub mod sdimage;
pub mod shell;
pub mod shelltest;
pub mod symbols;
pub mod verdict;

pub use board::Board;
pub use objcopy::{elf_to_flat, FlatImage, ObjcopyError};
pub use qemu::{qemu_args, Mode};
pub use symbols::{SymbolTable, SymbolsError};
pub use verdict::{judge, judge_crash, Verdict};

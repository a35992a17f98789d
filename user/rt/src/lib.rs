//! The user-space runtime library: what every program links against.
//!
//! - [`entry!`]: declares the program's `main(args) -> i32`; `_start` sets
//!   up and calls it, and its return value becomes the exit code.
//! - [`sys`]: typed system-call wrappers returning `Result<_, Error>`.
//! - [`process::Child`]: a started process, owned through its handle.
//! - [`println!`]/[`print!`]: console output.
//! - a global allocator on pages mapped with `mem_map`, so `alloc`'s
//!   `Vec`/`String`/`Box` work.
//! - a panic handler that prints the message and exits with status 101.
#![no_std]

extern crate alloc;

pub mod args;
pub mod fs;
pub mod heap;
pub mod io;
pub mod process;
mod start;
pub mod sys;
pub mod syscall;

pub use abi::{self, Error};
pub use args::Args;
pub use process::Child;
pub use start::{startup_handles, stdin_handle, stdout_handle};

/// Exit code of a program that panicked.
pub const PANIC_EXIT_CODE: i32 = 101;

/// Declare the program's entry point: `rt::entry!(main);` with
/// `fn main(args: rt::Args) -> i32`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        fn __rt_main(args: $crate::Args) -> i32 {
            $main(args)
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("panic: {}", info);
    sys::exit(PANIC_EXIT_CODE)
}

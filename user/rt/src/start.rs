//! `_start`: where every program begins, with x0 = argc and x1 = argv from
//! the kernel. Calls the program's `main` (declared with `entry!`) and
//! exits with its return value.

use crate::args::Args;
use abi::ArgSlice;

extern "Rust" {
    fn __rt_main(args: Args) -> i32;
}

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "    mov x29, xzr",
    "    mov x30, xzr",
    "    bl __rt_start",
    "    brk #0",
);

#[no_mangle]
extern "C" fn __rt_start(argc: usize, argv: *const ArgSlice) -> ! {
    // SAFETY: the kernel passes argc/argv describing its stack layout.
    let args = unsafe { Args::from_raw(argc, argv) };
    // SAFETY: `__rt_main` is defined by the program through `entry!`.
    let code = unsafe { __rt_main(args) };
    crate::sys::exit(code)
}

//! `_start`: where every program begins, with x0 = argc, x1 = argv,
//! x2 = the number of start-up handles, x3 = where their values are, and
//! x4/x5 = the stdin/stdout handles (0 = the console). Calls the program's `main` (declared with `entry!`) and
//! exits with its return value.

use crate::args::Args;
use abi::ArgSlice;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering};

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

static STARTUP_HANDLES: AtomicPtr<u32> = AtomicPtr::new(core::ptr::null_mut());
static STDIN: AtomicU32 = AtomicU32::new(0);
static STDOUT: AtomicU32 = AtomicU32::new(0);

/// This process's stdin handle (`None`: the console).
pub fn stdin_handle() -> Option<u32> {
    Some(STDIN.load(Ordering::Relaxed)).filter(|&h| h != 0)
}

/// This process's stdout handle (`None`: the console).
pub fn stdout_handle() -> Option<u32> {
    Some(STDOUT.load(Ordering::Relaxed)).filter(|&h| h != 0)
}
static STARTUP_HANDLE_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The handles the parent passed at spawn, in the order it listed them.
pub fn startup_handles() -> &'static [u32] {
    let n = STARTUP_HANDLE_COUNT.load(Ordering::Relaxed);
    let p = STARTUP_HANDLES.load(Ordering::Relaxed);
    if n == 0 || p.is_null() {
        return &[];
    }
    // SAFETY: set once in `__rt_start` to the kernel-written array on the
    // stack, which lives as long as the program.
    unsafe { core::slice::from_raw_parts(p, n) }
}

#[no_mangle]
extern "C" fn __rt_start(
    argc: usize,
    argv: *const ArgSlice,
    handle_count: usize,
    handles: *const u32,
    stdin: u32,
    stdout: u32,
) -> ! {
    STDIN.store(stdin, Ordering::Relaxed);
    STDOUT.store(stdout, Ordering::Relaxed);
    // SAFETY: the kernel passes argc/argv describing its stack layout.
    let args = unsafe { Args::from_raw(argc, argv) };
    STARTUP_HANDLES.store(handles.cast_mut(), Ordering::Relaxed);
    STARTUP_HANDLE_COUNT.store(handle_count, Ordering::Relaxed);
    // SAFETY: `__rt_main` is defined by the program through `entry!`.
    let code = unsafe { __rt_main(args) };
    crate::sys::exit(code)
}

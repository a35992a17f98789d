//! The shared kernel. It runs on every board through the traits of
//! [`bsp_api`]: a board crate provides a [`Board`](bsp_api::Board) with the
//! [`board!`] macro and the kernel does the rest, from the first instruction
//! (`arch::aarch64::boot.s`) to the console.
//!
//! Module map:
//! - [`arch`]: AArch64 boot, exceptions, MMU, timer, semihosting.
//! - [`mm`]: RAM discovery, frames, heap.
//! - [`console`]: printing and line input over the board's UART.
//! - [`irq`]: interrupt dispatch.
//! - [`boot`]: the boot sequence after the MMU is on.
//! - `ktest`: the in-kernel test suite (test builds only).
#![no_std]

extern crate alloc;

pub mod arch;
pub mod block;
pub mod boot;
pub mod console;
pub mod fs;
pub mod ipc;
pub mod irq;
#[cfg(feature = "ktest")]
pub mod ktest;
pub mod mm;
mod panic;
pub mod syscall;
pub mod task;

/// How many reserved ranges a board may declare.
pub const BOARD_RESERVED_MAX: usize = 4;

pub use bsp_api;

use bsp_api::Board;
use spin::Once;

static BOARD: Once<&'static dyn Board> = Once::new();

/// The board the kernel runs on.
pub fn board() -> &'static dyn Board {
    *BOARD.get().expect("board used before boot registered it")
}

/// Declare the board this binary runs on: `kernel::board!(MY_BOARD);` where
/// `MY_BOARD` is a `static` implementing [`bsp_api::Board`].
#[macro_export]
macro_rules! board {
    ($board:path) => {
        #[no_mangle]
        fn __kernel_board() -> &'static dyn $crate::bsp_api::Board {
            &$board
        }
    };
}

extern "Rust" {
    fn __kernel_board() -> &'static dyn Board;
}

/// Called by boot.s once the MMU is on and we run in the upper half.
#[no_mangle]
extern "C" fn __kernel_start_rust(boot_x0: usize, boot_el: u32) -> ! {
    // SAFETY: `__kernel_board` is defined by the board crate via `board!`.
    let board = unsafe { __kernel_board() };
    BOARD.call_once(|| board);
    arch::cpu::set_boot_el(boot_el);
    boot::start(board, boot_x0)
}

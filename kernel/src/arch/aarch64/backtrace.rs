//! Frame-pointer backtraces (the kernel is built with frame pointers): each
//! frame record is {previous fp, return address}. Frames are read with
//! [`probe_read`](super::fault::probe_read), so a corrupt chain ends the
//! trace instead of faulting inside the panic handler.

use super::fault::probe_read;
use core::fmt::Write;

const MAX_FRAMES: usize = 32;

/// Print the call chain starting at the caller's frame.
pub fn print(out: &mut dyn Write) {
    let mut fp: usize;
    // SAFETY: reads the frame-pointer register.
    unsafe { core::arch::asm!("mov {0}, x29", out(reg) fp, options(nomem, nostack)) };
    let _ = writeln!(out, "backtrace:");
    for depth in 0..MAX_FRAMES {
        if fp == 0 || !fp.is_multiple_of(16) || fp < bsp_api::LINEAR_BASE {
            break;
        }
        let (Ok(next), Ok(lr)) = (probe_read(fp), probe_read(fp + 8)) else {
            let _ = writeln!(out, "  <unreadable frame at {fp:#x}>");
            break;
        };
        if lr == 0 {
            break;
        }
        let _ = writeln!(out, "  #{depth:<2} {:#018x}", lr.wrapping_sub(4));
        if next as usize <= fp {
            break; // frames must move up the stack
        }
        fp = next as usize;
    }
}

//! Data-cache maintenance for buffers shared with devices that do not snoop
//! the CPU caches (the Pi's VideoCore mailbox, later SDHCI DMA). QEMU does
//! not model caches, so mistakes here only show on real hardware.

use core::arch::asm;

const CACHE_LINE: usize = 64;

/// Write back and invalidate every data-cache line covering `[start, start+len)`
/// (virtual addresses), then wait for completion.
pub fn clean_invalidate(start: usize, len: usize) {
    let mut line = start & !(CACHE_LINE - 1);
    while line < start + len {
        // SAFETY: `dc civac` only affects cache state for a mapped address;
        // callers pass addresses of their own buffers.
        unsafe { asm!("dc civac, {0}", in(reg) line) };
        line += CACHE_LINE;
    }
    // SAFETY: barrier instruction, no memory effects beyond ordering.
    unsafe { asm!("dsb sy") };
}

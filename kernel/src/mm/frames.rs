//! The kernel's physical frame allocator: a [`FrameBitmap`] over all RAM,
//! behind a lock. Its bitmap lives in RAM found at boot (not in the image).

use bsp_api::phys_to_virt;
use klib::frames::{find_free, FrameBitmap, FrameError, Range};
use klib::PAGE_SIZE;
use spin::Mutex;

static FRAMES: Mutex<Option<FrameBitmap<'static>>> = Mutex::new(None);

/// Set up the allocator over `ram`, never handing out `reserved`.
/// Returns the range the bitmap itself occupies.
pub fn init(ram: &[Range], reserved: &[Range]) -> Result<Range, FrameError> {
    let lo = ram
        .iter()
        .map(|r| r.start)
        .min()
        .ok_or(FrameError::OutOfRange)?;
    let hi = ram
        .iter()
        .map(|r| r.end)
        .max()
        .ok_or(FrameError::OutOfRange)?;
    let span = Range::new(lo, hi);
    let frames = span.len().div_ceil(PAGE_SIZE);
    let bytes = FrameBitmap::words_for(frames) * 8;
    let at = find_free(ram, reserved, bytes, PAGE_SIZE).ok_or(FrameError::OutOfRange)?;
    // SAFETY: `at..at+bytes` is RAM that no reserved range covers, mapped
    // read-write by the kernel tables, and used for nothing else from now on.
    let bits = unsafe { core::slice::from_raw_parts_mut(phys_to_virt(at) as *mut u64, bytes / 8) };
    let mut fb = FrameBitmap::new(span, bits);
    for r in ram {
        fb.release(*r);
    }
    for r in reserved {
        fb.reserve(*r)?;
    }
    let own = Range::new(at, at + bytes);
    fb.reserve(own)?;
    *FRAMES.lock() = Some(fb);
    Ok(own)
}

fn with<R>(f: impl FnOnce(&mut FrameBitmap<'static>) -> R) -> Option<R> {
    let _irq = crate::arch::cpu::IrqGuard::new();
    FRAMES.lock().as_mut().map(f)
}

/// One frame (physical address), contents undefined.
pub fn alloc() -> Option<usize> {
    with(|fb| fb.alloc()).flatten()
}

/// One zero-filled frame.
pub fn alloc_zeroed() -> Option<usize> {
    let pa = alloc()?;
    // SAFETY: the frame was just allocated to us and is mapped in the
    // linear map.
    unsafe { zero_page(phys_to_virt(pa)) };
    Some(pa)
}

/// Zero one page with `dc zva` (one instruction per DCZID block, 64 bytes
/// on Cortex-A72) instead of 8-byte stores.
///
/// # Safety
/// `va` must be a page-aligned, writable kernel mapping of a whole page.
unsafe fn zero_page(va: usize) {
    let dczid: u64;
    // SAFETY: reading an ID register.
    unsafe { core::arch::asm!("mrs {0}, dczid_el0", out(reg) dczid, options(nomem, nostack)) };
    if dczid & 0x10 != 0 {
        // SAFETY: forwarded from this function's contract.
        unsafe { core::ptr::write_bytes(va as *mut u8, 0, PAGE_SIZE) };
        return;
    }
    let block = 4usize << (dczid & 0xf);
    let mut p = va;
    while p < va + PAGE_SIZE {
        // SAFETY: zeroes one block inside the page.
        unsafe { core::arch::asm!("dc zva, {0}", in(reg) p, options(nostack)) };
        p += block;
    }
}

/// `count` contiguous frames aligned to `align_frames` frames.
pub fn alloc_contiguous(count: usize, align_frames: usize) -> Option<usize> {
    with(|fb| fb.alloc_contiguous(count, align_frames)).flatten()
}

pub fn free(pa: usize) -> Result<(), FrameError> {
    with(|fb| fb.free(pa)).unwrap_or(Err(FrameError::OutOfRange))
}

pub fn free_contiguous(pa: usize, count: usize) -> Result<(), FrameError> {
    with(|fb| fb.free_contiguous(pa, count)).unwrap_or(Err(FrameError::OutOfRange))
}

/// Frames currently free.
pub fn free_count() -> usize {
    with(|fb| fb.free_frames()).unwrap_or(0)
}

/// Frames managed (RAM span), free or not.
pub fn total_count() -> usize {
    with(|fb| fb.total_frames()).unwrap_or(0)
}

/// Whether `pa` is allocated or reserved.
pub fn is_allocated(pa: usize) -> bool {
    with(|fb| fb.is_allocated(pa)).unwrap_or(true)
}

//! The physical frame allocator: one bit per 4 KiB frame over a contiguous
//! span of physical memory, plus the range arithmetic that decides which
//! frames start free (RAM minus the kernel, the device tree, firmware).

use crate::{align_down, align_up, PAGE_SIZE};

/// A physical range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: usize,
    pub end: usize,
}

impl Range {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    pub const fn overlaps(&self, other: &Range) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Find `size` bytes, `align`-aligned, inside one of `ram` that overlaps none
/// of `reserved`. Used to place the allocator's own bitmap.
pub fn find_free(ram: &[Range], reserved: &[Range], size: usize, align: usize) -> Option<usize> {
    for r in ram {
        let mut candidate = align_up(r.start, align);
        'retry: while candidate.checked_add(size)? <= r.end {
            let want = Range::new(candidate, candidate + size);
            for res in reserved {
                if want.overlaps(res) {
                    candidate = align_up(res.end, align);
                    continue 'retry;
                }
            }
            return Some(candidate);
        }
    }
    None
}

/// Errors from the frame allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The address is not a frame this allocator manages, or not aligned.
    OutOfRange,
    /// Freeing a frame that is already free (a double free).
    NotAllocated,
    /// Freeing a frame inside a reserved range (kernel image, firmware...).
    Reserved,
    /// More reserved ranges than the allocator can remember.
    TooManyReserved,
}

/// How many reserved ranges a [`FrameBitmap`] remembers.
pub const MAX_RESERVED: usize = 16;

/// A bitmap over frames `[base, base + frames * PAGE_SIZE)`: bit set = in use.
pub struct FrameBitmap<'a> {
    base: usize,
    frames: usize,
    bits: &'a mut [u64],
    free: usize,
    /// Ranges that are never allocated and can never be freed.
    reserved: [Range; MAX_RESERVED],
    reserved_count: usize,
    /// Where the next search starts (next-fit keeps allocation O(1) amortised).
    hint: usize,
}

impl<'a> FrameBitmap<'a> {
    /// Words of storage needed to manage `frames` frames.
    pub const fn words_for(frames: usize) -> usize {
        frames.div_ceil(64)
    }

    /// An allocator over `span` with every frame marked used; call
    /// [`FrameBitmap::release`] on the usable RAM afterwards.
    pub fn new(span: Range, bits: &'a mut [u64]) -> Self {
        let base = align_down(span.start, PAGE_SIZE);
        let frames = (align_up(span.end, PAGE_SIZE) - base) / PAGE_SIZE;
        assert!(
            bits.len() >= Self::words_for(frames),
            "bitmap storage too small"
        );
        bits.iter_mut().for_each(|w| *w = u64::MAX);
        Self {
            base,
            frames,
            bits,
            free: 0,
            reserved: [Range::new(0, 0); MAX_RESERVED],
            reserved_count: 0,
            hint: 0,
        }
    }

    fn index_range(&self, r: Range, inward: bool) -> (usize, usize) {
        let (s, e) = if inward {
            (align_up(r.start, PAGE_SIZE), align_down(r.end, PAGE_SIZE))
        } else {
            (align_down(r.start, PAGE_SIZE), align_up(r.end, PAGE_SIZE))
        };
        let lo = s.max(self.base);
        let hi = e.min(self.base + self.frames * PAGE_SIZE);
        if hi <= lo {
            return (0, 0);
        }
        ((lo - self.base) / PAGE_SIZE, (hi - self.base) / PAGE_SIZE)
    }

    fn is_used(&self, i: usize) -> bool {
        self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    fn set_used(&mut self, i: usize, used: bool) {
        if used {
            self.bits[i / 64] |= 1 << (i % 64);
        } else {
            self.bits[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Mark the whole frames inside `r` free (partial frames stay used).
    pub fn release(&mut self, r: Range) {
        let (lo, mut i) = self.index_range(r, true);
        let hi = i;
        i = lo;
        while i < hi {
            // Whole words at a time where the range covers them.
            if i % 64 == 0 && i + 64 <= hi {
                let w = &mut self.bits[i / 64];
                self.free += w.count_ones() as usize;
                *w = 0;
                i += 64;
                continue;
            }
            if self.is_used(i) {
                self.set_used(i, false);
                self.free += 1;
            }
            i += 1;
        }
    }

    /// Mark every frame touching `r` used, for good: such frames are never
    /// allocated and `free` refuses them.
    pub fn reserve(&mut self, r: Range) -> Result<(), FrameError> {
        if self.reserved_count == MAX_RESERVED {
            return Err(FrameError::TooManyReserved);
        }
        self.reserved[self.reserved_count] = r;
        self.reserved_count += 1;
        let (lo, hi) = self.index_range(r, false);
        for i in lo..hi {
            if !self.is_used(i) {
                self.set_used(i, true);
                self.free -= 1;
            }
        }
        Ok(())
    }

    /// Allocate one frame, returning its physical address.
    pub fn alloc(&mut self) -> Option<usize> {
        self.alloc_contiguous(1, 1)
    }

    /// Allocate `count` physically contiguous frames whose first frame is
    /// aligned to `align_frames` frames (a power of two).
    pub fn alloc_contiguous(&mut self, count: usize, align_frames: usize) -> Option<usize> {
        if count == 0 || count > self.free || !align_frames.is_power_of_two() {
            return None;
        }
        // Frame indices must give aligned *addresses*.
        let align_bytes = align_frames * PAGE_SIZE;
        let first_aligned = |i: usize| -> usize {
            let addr = self.base + i * PAGE_SIZE;
            (align_up(addr, align_bytes) - self.base) / PAGE_SIZE
        };
        for pass in 0..2 {
            let (from, to) = if pass == 0 {
                (self.hint, self.frames)
            } else {
                (0, self.hint + count)
            };
            let mut i = first_aligned(from);
            while i + count <= to.min(self.frames) {
                // Skip whole used words quickly for single-frame requests.
                if count == 1 && i % 64 == 0 && self.bits[i / 64] == u64::MAX {
                    i += 64;
                    continue;
                }
                match (i..i + count).find(|&j| self.is_used(j)) {
                    None => {
                        for j in i..i + count {
                            self.set_used(j, true);
                        }
                        self.free -= count;
                        self.hint = i + count;
                        return Some(self.base + i * PAGE_SIZE);
                    }
                    Some(used) => i = first_aligned(used + 1),
                }
            }
        }
        None
    }

    /// Return a frame obtained from `alloc`.
    pub fn free(&mut self, pa: usize) -> Result<(), FrameError> {
        self.free_contiguous(pa, 1)
    }

    /// Return `count` frames obtained from one `alloc_contiguous` call.
    pub fn free_contiguous(&mut self, pa: usize, count: usize) -> Result<(), FrameError> {
        if !pa.is_multiple_of(PAGE_SIZE) || pa < self.base {
            return Err(FrameError::OutOfRange);
        }
        let first = (pa - self.base) / PAGE_SIZE;
        if first + count > self.frames {
            return Err(FrameError::OutOfRange);
        }
        let freed = Range::new(pa, pa + count * PAGE_SIZE);
        if self.reserved[..self.reserved_count]
            .iter()
            .any(|r| r.overlaps(&freed))
        {
            return Err(FrameError::Reserved);
        }
        if (first..first + count).any(|i| !self.is_used(i)) {
            return Err(FrameError::NotAllocated);
        }
        for i in first..first + count {
            self.set_used(i, false);
        }
        self.free += count;
        Ok(())
    }

    /// Frames currently free.
    pub fn free_frames(&self) -> usize {
        self.free
    }

    /// Frames managed (free or not).
    pub fn total_frames(&self) -> usize {
        self.frames
    }

    /// Whether the frame at `pa` is currently allocated or reserved.
    pub fn is_allocated(&self, pa: usize) -> bool {
        match pa.checked_sub(self.base) {
            Some(off) if off / PAGE_SIZE < self.frames => self.is_used(off / PAGE_SIZE),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitmap(frames: usize) -> (Vec<u64>, Range) {
        let span = Range::new(0x4000_0000, 0x4000_0000 + frames * PAGE_SIZE);
        (vec![0; FrameBitmap::words_for(frames)], span)
    }

    #[test]
    fn starts_all_used_then_release_frees_whole_frames_only() {
        let (mut bits, span) = bitmap(100);
        let mut fb = FrameBitmap::new(span, &mut bits);
        assert_eq!(fb.free_frames(), 0);
        assert_eq!(fb.alloc(), None);
        // A range covering frames 1..10 partially at both ends frees 2..10.
        fb.release(Range::new(
            span.start + PAGE_SIZE + 1,
            span.start + 10 * PAGE_SIZE + 5,
        ));
        assert_eq!(fb.free_frames(), 8);
        assert!(fb.is_allocated(span.start + PAGE_SIZE));
        assert!(!fb.is_allocated(span.start + 2 * PAGE_SIZE));
    }

    #[test]
    fn alloc_free_round_trip_and_double_free_detected() {
        let (mut bits, span) = bitmap(130);
        let mut fb = FrameBitmap::new(span, &mut bits);
        fb.release(span);
        let mut got = Vec::new();
        while let Some(pa) = fb.alloc() {
            assert_eq!(pa % PAGE_SIZE, 0);
            assert!(pa >= span.start && pa < span.end);
            got.push(pa);
        }
        assert_eq!(got.len(), 130);
        got.sort();
        got.dedup();
        assert_eq!(got.len(), 130, "no frame handed out twice");
        assert_eq!(fb.free_frames(), 0);
        fb.free(got[7]).unwrap();
        assert_eq!(fb.free(got[7]), Err(FrameError::NotAllocated));
        assert_eq!(fb.free(got[7] + 1), Err(FrameError::OutOfRange));
        assert_eq!(fb.free(span.end), Err(FrameError::OutOfRange));
        assert_eq!(fb.alloc(), Some(got[7]));
    }

    #[test]
    fn reserved_frames_are_never_allocated() {
        let (mut bits, span) = bitmap(64);
        let mut fb = FrameBitmap::new(span, &mut bits);
        fb.release(span);
        let hole = Range::new(
            span.start + 10 * PAGE_SIZE + 100,
            span.start + 12 * PAGE_SIZE,
        );
        fb.reserve(hole).unwrap();
        assert_eq!(fb.free_frames(), 62);
        while let Some(pa) = fb.alloc() {
            assert!(!Range::new(pa, pa + PAGE_SIZE).overlaps(&hole));
        }
        assert_eq!(
            fb.free(span.start + 10 * PAGE_SIZE),
            Err(FrameError::Reserved)
        );
        assert_eq!(
            fb.free_contiguous(span.start + 9 * PAGE_SIZE, 2),
            Err(FrameError::Reserved)
        );
        for _ in 1..MAX_RESERVED {
            fb.reserve(Range::new(span.start, span.start + PAGE_SIZE))
                .unwrap();
        }
        assert_eq!(fb.reserve(hole), Err(FrameError::TooManyReserved));
    }

    #[test]
    fn contiguous_aligned_allocation() {
        let (mut bits, span) = bitmap(256);
        let mut fb = FrameBitmap::new(span, &mut bits);
        fb.release(span);
        let one = fb.alloc().unwrap();
        let block = fb.alloc_contiguous(16, 16).unwrap();
        assert_eq!(block % (16 * PAGE_SIZE), 0);
        assert!(block >= one + PAGE_SIZE);
        for i in 0..16 {
            assert!(fb.is_allocated(block + i * PAGE_SIZE));
        }
        assert_eq!(fb.free_frames(), 256 - 17);
        fb.free_contiguous(block, 16).unwrap();
        assert_eq!(fb.free_frames(), 255);
        assert_eq!(fb.alloc_contiguous(0, 1), None);
        assert_eq!(fb.alloc_contiguous(1000, 1), None);
    }

    #[test]
    fn find_free_skips_reserved() {
        let ram = [Range::new(0, 0x10000), Range::new(0x100000, 0x200000)];
        let reserved = [Range::new(0, 0x8000), Range::new(0x9000, 0x10000)];
        // 0x8000..0x9000 is free but too small for 0x2000.
        assert_eq!(find_free(&ram, &reserved, 0x2000, 0x1000), Some(0x100000));
        assert_eq!(find_free(&ram, &reserved, 0x1000, 0x1000), Some(0x8000));
        assert_eq!(find_free(&ram, &reserved, 0x200000, 0x1000), None);
    }
}

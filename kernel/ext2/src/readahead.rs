//! File-data read-ahead: a few large buffers ("segments"), each holding a
//! run of physically consecutive blocks read in one device request.
//!
//! Regular-file reads look in the block cache first (it holds the newest
//! copy of every block it has, dirty ones included), then in the
//! segments, and only then go to the device, filling a whole segment at
//! once. A sequential reader also gets the run after the current segment
//! started in the background ([`BlockDevice::start_read`]), so on a device
//! that overlaps transfers the next data is usually there before it is
//! asked for.
//!
//! Segments are never written to. The cache invalidates the blocks it
//! writes back ([`ReadAhead::invalidate`]); since every change to a block
//! goes through the cache, and the cache is consulted first while a block
//! is dirty, a segment can never serve a stale copy. A segment still in
//! flight when it is invalidated is marked stale and dropped when it ends.

use alloc::vec::Vec;

use crate::device::{BlockDevice, Pending};
use crate::error::Result;

/// Segments per filesystem.
pub(crate) const SEGMENTS: usize = 4;
/// The most bytes one segment holds (one device request).
pub(crate) const SEGMENT_BYTES: usize = 256 * 1024;

#[derive(Debug)]
enum State {
    /// Holds nothing (its buffer, if any, is in `buf`).
    Empty,
    /// `buf` holds the blocks.
    Ready,
    /// Being read; the device has the buffer.
    InFlight(Pending),
    /// Being read, but invalidated meanwhile: dropped when it ends.
    Stale(Pending),
}

#[derive(Debug)]
struct Segment {
    first: u32,
    count: u32,
    buf: Vec<u8>,
    state: State,
    /// When it was last used (for replacement).
    used: u64,
    /// Whether the run after this one has been asked for already.
    next_started: bool,
}

/// Whether two runs of blocks, each (first, count), share a block.
pub(crate) fn runs_overlap((a, a_len): (u32, u32), (b, b_len): (u32, u32)) -> bool {
    let (a0, a1) = (u64::from(a), u64::from(a) + u64::from(a_len));
    let (b0, b1) = (u64::from(b), u64::from(b) + u64::from(b_len));
    a0 < b1 && b0 < a1
}

impl Segment {
    fn covers(&self, block: u32) -> bool {
        matches!(self.state, State::Ready | State::InFlight(_))
            && block >= self.first
            && u64::from(block) < u64::from(self.first) + u64::from(self.count)
    }

    fn overlaps(&self, first: u32, count: u32) -> bool {
        runs_overlap((self.first, self.count), (first, count))
    }
}

/// The read-ahead segments of one filesystem (see the module docs).
#[derive(Debug)]
pub(crate) struct ReadAhead {
    block_size: usize,
    segs: Vec<Segment>,
    clock: u64,
    /// The end of the last regular-file read: (inode, next logical block).
    pub(crate) last: Option<(u32, u64)>,
}

impl ReadAhead {
    pub fn new(block_size: u32) -> Self {
        ReadAhead {
            block_size: block_size as usize,
            segs: Vec::new(),
            clock: 0,
            last: None,
        }
    }

    /// The most blocks one segment holds.
    pub fn max_blocks(&self) -> u32 {
        (SEGMENT_BYTES / self.block_size).max(1) as u32
    }

    /// Whether `block` is held or being read.
    pub fn covers(&self, block: u32) -> bool {
        self.segs.iter().any(|s| s.covers(block))
    }

    /// The segment holding `block` (waiting for it if it is still being
    /// read): its index. `None` if no segment has it, or its read failed
    /// (the caller then reads the block itself and sees the error, if any).
    pub fn find(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Option<usize> {
        let i = self.segs.iter().position(|s| s.covers(block))?;
        self.settle_one(dev, i);
        let s = &mut self.segs[i];
        if !matches!(s.state, State::Ready) {
            return None;
        }
        self.clock += 1;
        s.used = self.clock;
        Some(i)
    }

    /// The bytes of `block` in segment `i` (from [`find`](Self::find) or
    /// [`fill`](Self::fill)).
    pub fn block(&self, i: usize, block: u32) -> &[u8] {
        let s = &self.segs[i];
        let at = (block - s.first) as usize * self.block_size;
        &s.buf[at..at + self.block_size]
    }

    /// Whether the run after segment `i` was asked for; marks it so.
    pub fn take_next(&mut self, i: usize) -> bool {
        !core::mem::replace(&mut self.segs[i].next_started, true)
    }

    /// The block after segment `i`'s last one.
    pub fn end(&self, i: usize) -> u64 {
        u64::from(self.segs[i].first) + u64::from(self.segs[i].count)
    }

    /// If segment `i` is in flight, wait for it.
    fn settle_one(&mut self, dev: &mut dyn BlockDevice, i: usize) {
        let s = &mut self.segs[i];
        let state = core::mem::replace(&mut s.state, State::Empty);
        s.state = match state {
            State::InFlight(p) => {
                let (buf, r) = dev.finish(p);
                s.buf = buf;
                if r.is_ok() {
                    State::Ready
                } else {
                    State::Empty
                }
            }
            State::Stale(p) => {
                s.buf = dev.finish(p).0;
                State::Empty
            }
            other => other,
        };
    }

    /// Wait for every read in flight (before handing the device back).
    pub fn settle(&mut self, dev: &mut dyn BlockDevice) {
        for i in 0..self.segs.len() {
            self.settle_one(dev, i);
        }
    }

    /// A segment to reuse: an empty one, a new one, or the least recently
    /// used (waiting for it if it is in flight). Its buffer is returned
    /// with it.
    fn victim(&mut self, dev: &mut dyn BlockDevice) -> usize {
        if let Some(i) = self
            .segs
            .iter()
            .position(|s| matches!(s.state, State::Empty | State::Stale(_)))
        {
            self.settle_one(dev, i);
            return i;
        }
        if self.segs.len() < SEGMENTS {
            self.segs.push(Segment {
                first: 0,
                count: 0,
                buf: Vec::new(),
                state: State::Empty,
                used: 0,
                next_started: false,
            });
            return self.segs.len() - 1;
        }
        let i = (0..self.segs.len())
            .min_by_key(|&i| self.segs[i].used)
            .unwrap_or(0);
        self.settle_one(dev, i);
        self.segs[i].state = State::Empty;
        i
    }

    /// Prepare segment `i` for `count` blocks from `first`; its buffer.
    fn claim(&mut self, i: usize, first: u32, count: u32) -> Vec<u8> {
        self.clock += 1;
        let s = &mut self.segs[i];
        s.first = first;
        s.count = count;
        s.used = self.clock;
        s.next_started = false;
        let mut buf = core::mem::take(&mut s.buf);
        // Only ever grows to the largest run; shrinking keeps the memory.
        buf.resize(count as usize * self.block_size, 0);
        buf
    }

    /// Read `count` blocks from `first` into a segment now; its index.
    pub fn fill(&mut self, dev: &mut dyn BlockDevice, first: u32, count: u32) -> Result<usize> {
        let i = self.victim(dev);
        let mut buf = self.claim(i, first, count);
        let r = dev.read_at(u64::from(first) * self.block_size as u64, &mut buf);
        let s = &mut self.segs[i];
        s.buf = buf;
        r?;
        s.state = State::Ready;
        Ok(i)
    }

    /// Start reading `count` blocks from `first` in the background, unless
    /// the first of them is already held or being read.
    pub fn prefetch(&mut self, dev: &mut dyn BlockDevice, first: u32, count: u32) {
        if count == 0 || self.covers(first) {
            return;
        }
        let i = self.victim(dev);
        let buf = self.claim(i, first, count);
        let p = dev.start_read(u64::from(first) * self.block_size as u64, buf);
        self.segs[i].state = match p.into_state() {
            Ok(id) => State::InFlight(Pending::started(id)),
            Err((buf, r)) => {
                self.segs[i].buf = buf;
                if r.is_ok() {
                    State::Ready
                } else {
                    State::Empty
                }
            }
        };
    }

    /// Forget blocks `first..first + count` (they are being written).
    pub fn invalidate(&mut self, first: u32, count: u32) {
        for s in &mut self.segs {
            if !s.overlaps(first, count) {
                continue;
            }
            s.state = match core::mem::replace(&mut s.state, State::Empty) {
                State::InFlight(p) => State::Stale(p),
                State::Stale(p) => State::Stale(p),
                _ => State::Empty,
            };
        }
    }

    /// Segments holding (or reading) blocks.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.segs
            .iter()
            .filter(|s| matches!(s.state, State::Ready | State::InFlight(_)))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{MemDevice, Pending};
    use crate::error::DeviceError;

    /// A device whose background reads stay in flight until finished,
    /// reading the data only then (as a real device might).
    struct Deferred {
        mem: MemDevice,
        flight: Vec<(u64, u64, Vec<u8>)>,
        next: u64,
        reads: usize,
    }

    impl BlockDevice for Deferred {
        fn read_at(
            &mut self,
            offset: u64,
            buf: &mut [u8],
        ) -> core::result::Result<(), DeviceError> {
            self.reads += 1;
            self.mem.read_at(offset, buf)
        }
        fn write_at(&mut self, offset: u64, buf: &[u8]) -> core::result::Result<(), DeviceError> {
            self.mem.write_at(offset, buf)
        }
        fn flush(&mut self) -> core::result::Result<(), DeviceError> {
            Ok(())
        }
        fn size(&self) -> u64 {
            self.mem.size()
        }
        fn start_read(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
            self.next += 1;
            self.reads += 1;
            self.flight.push((self.next, offset, buf));
            Pending::started(self.next)
        }
        fn finish(&mut self, p: Pending) -> (Vec<u8>, core::result::Result<(), DeviceError>) {
            let id = p.into_state().unwrap();
            let k = self.flight.iter().position(|f| f.0 == id).unwrap();
            let (_, off, mut buf) = self.flight.remove(k);
            let r = self.mem.read_at(off, &mut buf);
            (buf, r)
        }
    }

    fn device(blocks: usize) -> Deferred {
        let mut mem = MemDevice::zeroed(blocks * 1024);
        for b in 0..blocks {
            mem.as_mut_slice()[b * 1024] = b as u8;
        }
        Deferred {
            mem,
            flight: Vec::new(),
            next: 0,
            reads: 0,
        }
    }

    #[test]
    fn fill_find_and_bounds() {
        let mut dev = device(64);
        let mut ra = ReadAhead::new(1024);
        let i = ra.fill(&mut dev, 10, 5).unwrap();
        assert_eq!(ra.block(i, 14)[0], 14);
        assert!(ra.covers(10) && ra.covers(14));
        assert!(!ra.covers(9) && !ra.covers(15));
        assert_eq!(ra.find(&mut dev, 12), Some(i));
        assert_eq!(ra.find(&mut dev, 15), None);
        assert_eq!(ra.end(i), 15);
        // Past the end of the device: an error, and nothing held.
        assert!(ra.fill(&mut dev, 60, 8).is_err());
        assert!(!ra.covers(60));
    }

    #[test]
    fn prefetch_then_invalidate_drops_stale_data() {
        let mut dev = device(64);
        let mut ra = ReadAhead::new(1024);
        ra.prefetch(&mut dev, 20, 4);
        assert_eq!(dev.flight.len(), 1);
        // Asking again for a covered block starts nothing new.
        ra.prefetch(&mut dev, 20, 4);
        assert_eq!(dev.flight.len(), 1);
        // The block is rewritten while the read is in flight: the
        // segment must not serve it, even once the read ends.
        dev.mem.as_mut_slice()[22 * 1024] = 99;
        ra.invalidate(22, 1);
        assert_eq!(ra.find(&mut dev, 21), None);
        assert_eq!(ra.held(), 0);
        // The buffer came back and is reused.
        let i = ra.fill(&mut dev, 20, 4).unwrap();
        assert_eq!(ra.block(i, 22)[0], 99);
        assert!(dev.flight.is_empty());
    }

    #[test]
    fn prefetched_data_is_served_and_replacement_is_lru() {
        let mut dev = device(256);
        let mut ra = ReadAhead::new(1024);
        ra.prefetch(&mut dev, 0, 8);
        let i = ra.find(&mut dev, 7).unwrap();
        assert_eq!(ra.block(i, 7)[0], 7);
        assert!(ra.take_next(i));
        assert!(!ra.take_next(i));
        for k in 1..SEGMENTS as u32 {
            ra.fill(&mut dev, k * 10, 2).unwrap();
        }
        assert_eq!(ra.held(), SEGMENTS);
        // Use segment 0 again: the next fill replaces the one at 10.
        ra.find(&mut dev, 3).unwrap();
        ra.fill(&mut dev, 100, 2).unwrap();
        assert!(ra.covers(3) && !ra.covers(10) && ra.covers(100));
        ra.settle(&mut dev);
        assert!(dev.flight.is_empty());
    }

    #[test]
    fn failed_background_read_is_not_served() {
        let mut dev = device(16);
        let mut ra = ReadAhead::new(1024);
        ra.prefetch(&mut dev, 14, 4); // runs past the end of the device
        assert_eq!(ra.find(&mut dev, 14), None);
        assert_eq!(ra.held(), 0);
    }
}

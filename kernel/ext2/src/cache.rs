//! A bounded write-back block cache.
//!
//! Blocks are read on first use and kept until evicted. A modified block
//! stays dirty in memory until [`Cache::flush`] (called by `Fs::sync`) or
//! until the cache is full of dirty blocks, when all dirty blocks are
//! written back in block order, contiguous runs in one request. Eviction
//! picks a clean block with the CLOCK algorithm (an approximation of least
//! recently used that costs O(1) per access).
//!
//! The cache also owns the file-data read-ahead segments
//! ([`ReadAhead`]), so that every write-back invalidates their copies of
//! the blocks written.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::device::BlockDevice;
use crate::error::Result;
use crate::readahead::ReadAhead;

/// The most bytes written back in one device request.
pub(crate) const MAX_RUN_BYTES: usize = 512 * 1024;

#[derive(Debug)]
struct Slot {
    block: u32,
    data: Vec<u8>,
    dirty: bool,
    /// Used since the clock hand last passed.
    referenced: bool,
}

/// The block cache (see the module documentation).
#[derive(Debug)]
pub(crate) struct Cache {
    block_size: usize,
    capacity: usize,
    slots: Vec<Slot>,
    /// Block number to index in `slots`.
    map: BTreeMap<u32, usize>,
    /// The CLOCK hand: the next slot considered for eviction.
    hand: usize,
    /// Number of dirty slots.
    dirty: usize,
    /// Buffer for coalescing contiguous dirty blocks.
    scratch: Vec<u8>,
    /// File-data read-ahead (see the module documentation).
    pub(crate) ra: ReadAhead,
}

impl Cache {
    /// A cache of at most `capacity` (at least 16) blocks of `block_size`.
    pub fn new(block_size: u32, capacity: usize) -> Cache {
        Cache {
            block_size: block_size as usize,
            capacity: capacity.max(16),
            slots: Vec::new(),
            map: BTreeMap::new(),
            hand: 0,
            dirty: 0,
            scratch: Vec::new(),
            ra: ReadAhead::new(block_size),
        }
    }

    fn offset(&self, block: u32) -> u64 {
        u64::from(block) * self.block_size as u64
    }

    /// Whether `block` is cached.
    pub fn contains(&self, block: u32) -> bool {
        self.map.contains_key(&block)
    }

    /// Find or load `block`; with `read == false` a missing block is not
    /// read from the device (its contents are left unspecified).
    fn slot(&mut self, dev: &mut dyn BlockDevice, block: u32, read: bool) -> Result<usize> {
        if let Some(&i) = self.map.get(&block) {
            self.slots[i].referenced = true;
            return Ok(i);
        }
        let i = if self.slots.len() < self.capacity {
            self.slots.push(Slot {
                block: u32::MAX,
                data: vec![0; self.block_size],
                dirty: false,
                referenced: false,
            });
            self.slots.len() - 1
        } else {
            let i = self.victim(dev)?;
            self.map.remove(&self.slots[i].block);
            self.slots[i].block = u32::MAX;
            i
        };
        if read {
            let off = self.offset(block);
            // On failure the slot stays unmapped (and clean, so reusable).
            dev.read_at(off, &mut self.slots[i].data)?;
        }
        let s = &mut self.slots[i];
        s.block = block;
        s.referenced = true;
        self.map.insert(block, i);
        Ok(i)
    }

    /// A clean slot to reuse (the cache is full). When every slot is
    /// dirty, everything is written back first.
    fn victim(&mut self, dev: &mut dyn BlockDevice) -> Result<usize> {
        if self.dirty == self.slots.len() {
            self.flush(dev)?;
        }
        // Two sweeps suffice: the first clears the reference bits.
        for _ in 0..2 * self.slots.len() {
            let i = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            let s = &mut self.slots[i];
            if s.dirty {
                continue;
            }
            if s.referenced && s.block != u32::MAX {
                s.referenced = false;
                continue;
            }
            return Ok(i);
        }
        // Unreachable while `dirty` is exact; fall back to a full flush.
        self.flush(dev)?;
        Ok(self.hand)
    }

    fn mark_dirty(&mut self, i: usize) {
        if !self.slots[i].dirty {
            self.slots[i].dirty = true;
            self.dirty += 1;
        }
    }

    /// The contents of `block`.
    pub fn get(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Result<&[u8]> {
        let i = self.slot(dev, block, true)?;
        Ok(&self.slots[i].data)
    }

    /// The contents of `block`, to modify (the block becomes dirty).
    pub fn get_mut(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Result<&mut [u8]> {
        let i = self.slot(dev, block, true)?;
        self.mark_dirty(i);
        Ok(&mut self.slots[i].data)
    }

    /// `block` filled with zeros without reading it (for freshly allocated
    /// or wholly overwritten blocks); it becomes dirty.
    pub fn get_zeroed(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Result<&mut [u8]> {
        let i = self.slot(dev, block, false)?;
        self.mark_dirty(i);
        let s = &mut self.slots[i];
        s.data.fill(0);
        Ok(&mut s.data)
    }

    /// Replace the whole of `block` with `data` (exactly one block)
    /// without reading it first; it becomes dirty.
    pub fn overwrite(&mut self, dev: &mut dyn BlockDevice, block: u32, data: &[u8]) -> Result<()> {
        let i = self.slot(dev, block, false)?;
        self.mark_dirty(i);
        self.slots[i].data.copy_from_slice(data);
        Ok(())
    }

    /// Forget `block` without writing it back (it was freed).
    pub fn discard(&mut self, block: u32) {
        if let Some(i) = self.map.remove(&block) {
            let s = &mut self.slots[i];
            s.block = u32::MAX;
            s.referenced = false;
            if s.dirty {
                s.dirty = false;
                self.dirty -= 1;
            }
        }
    }

    /// Number of dirty blocks.
    #[cfg(test)]
    pub fn dirty_count(&self) -> usize {
        debug_assert_eq!(self.dirty, self.slots.iter().filter(|s| s.dirty).count());
        self.dirty
    }

    /// Write every dirty block back, in block order, merging runs of
    /// consecutive blocks into single requests.
    pub fn flush(&mut self, dev: &mut dyn BlockDevice) -> Result<()> {
        let dirty: Vec<(u32, usize)> = self
            .map
            .iter()
            .filter(|&(_, &i)| self.slots[i].dirty)
            .map(|(&b, &i)| (b, i))
            .collect();
        let max_run = (MAX_RUN_BYTES / self.block_size).max(1);
        let mut k = 0;
        while k < dirty.len() {
            let mut n = 1;
            while k + n < dirty.len()
                && n < max_run
                && u64::from(dirty[k + n].0) == u64::from(dirty[k].0) + n as u64
            {
                n += 1;
            }
            let off = self.offset(dirty[k].0);
            self.ra.invalidate(dirty[k].0, n as u32);
            if n == 1 {
                dev.write_at(off, &self.slots[dirty[k].1].data)?;
            } else {
                self.scratch.clear();
                for &(_, i) in &dirty[k..k + n] {
                    self.scratch.extend_from_slice(&self.slots[i].data);
                }
                dev.write_at(off, &self.scratch)?;
            }
            for &(_, i) in &dirty[k..k + n] {
                self.slots[i].dirty = false;
                self.dirty -= 1;
            }
            k += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::MemDevice;

    #[test]
    fn write_back_and_eviction() {
        let mut dev = MemDevice::zeroed(1024 * 64);
        let mut c = Cache::new(1024, 16);
        for b in 0..16u32 {
            c.get_mut(&mut dev, b).unwrap()[0] = b as u8 + 1;
        }
        assert_eq!(c.dirty_count(), 16);
        // Nothing reached the device yet.
        assert!(dev.as_slice().iter().all(|&x| x == 0));
        // A 17th block forces a write-back of all dirty blocks.
        c.get(&mut dev, 40).unwrap();
        assert_eq!(c.dirty_count(), 0);
        for b in 0..16usize {
            assert_eq!(dev.as_slice()[b * 1024], b as u8 + 1);
        }
        // Reads see the data; discarded blocks are not written.
        c.get_zeroed(&mut dev, 50).unwrap()[0] = 9;
        c.discard(50);
        c.flush(&mut dev).unwrap();
        assert_eq!(dev.as_slice()[50 * 1024], 0);
        assert_eq!(c.get(&mut dev, 3).unwrap()[0], 4);
    }
}

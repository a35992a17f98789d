//! A bounded write-back block cache.
//!
//! Blocks are read on first use and kept until evicted. A modified block
//! stays dirty in memory until [`Cache::flush`] (called by `Fs::sync`) or
//! until the cache is full of dirty blocks, when all dirty blocks are
//! written back in block order, contiguous runs in one request. Eviction
//! takes the least recently used clean block.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::device::BlockDevice;
use crate::error::Result;

/// The most bytes written back in one device request.
const MAX_RUN_BYTES: usize = 128 * 1024;

#[derive(Debug)]
struct Slot {
    block: u32,
    data: Vec<u8>,
    dirty: bool,
    stamp: u64,
}

/// The block cache (see the module documentation).
#[derive(Debug)]
pub(crate) struct Cache {
    block_size: usize,
    capacity: usize,
    slots: Vec<Slot>,
    /// Block number to index in `slots`.
    map: BTreeMap<u32, usize>,
    tick: u64,
    /// Buffer for coalescing contiguous dirty blocks.
    scratch: Vec<u8>,
}

impl Cache {
    /// A cache of at most `capacity` (at least 16) blocks of `block_size`.
    pub fn new(block_size: u32, capacity: usize) -> Cache {
        Cache {
            block_size: block_size as usize,
            capacity: capacity.max(16),
            slots: Vec::new(),
            map: BTreeMap::new(),
            tick: 0,
            scratch: Vec::new(),
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
        self.tick += 1;
        if let Some(&i) = self.map.get(&block) {
            self.slots[i].stamp = self.tick;
            return Ok(i);
        }
        let i = if self.slots.len() < self.capacity {
            self.slots.push(Slot {
                block,
                data: vec![0; self.block_size],
                dirty: false,
                stamp: 0,
            });
            self.slots.len() - 1
        } else {
            if self.slots.iter().all(|s| s.dirty) {
                self.flush(dev)?;
            }
            let victim = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.dirty)
                .min_by_key(|(_, s)| s.stamp)
                .map_or(0, |(i, _)| i);
            self.map.remove(&self.slots[victim].block);
            victim
        };
        if read {
            let off = self.offset(block);
            if let Err(e) = dev.read_at(off, &mut self.slots[i].data) {
                // Leave the slot unmapped (it is clean, so reusable).
                self.slots[i].block = u32::MAX;
                self.slots[i].stamp = 0;
                self.slots[i].dirty = false;
                return Err(e.into());
            }
        }
        let s = &mut self.slots[i];
        s.block = block;
        s.dirty = false;
        s.stamp = self.tick;
        self.map.insert(block, i);
        Ok(i)
    }

    /// The contents of `block`.
    pub fn get(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Result<&[u8]> {
        let i = self.slot(dev, block, true)?;
        Ok(&self.slots[i].data)
    }

    /// The contents of `block`, to modify (the block becomes dirty).
    pub fn get_mut(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Result<&mut [u8]> {
        let i = self.slot(dev, block, true)?;
        self.slots[i].dirty = true;
        Ok(&mut self.slots[i].data)
    }

    /// `block` filled with zeros without reading it (for freshly allocated
    /// or wholly overwritten blocks); it becomes dirty.
    pub fn get_zeroed(&mut self, dev: &mut dyn BlockDevice, block: u32) -> Result<&mut [u8]> {
        let i = self.slot(dev, block, false)?;
        let s = &mut self.slots[i];
        s.dirty = true;
        s.data.fill(0);
        Ok(&mut s.data)
    }

    /// Forget `block` without writing it back (it was freed).
    pub fn discard(&mut self, block: u32) {
        if let Some(i) = self.map.remove(&block) {
            let s = &mut self.slots[i];
            s.block = u32::MAX;
            s.dirty = false;
            s.stamp = 0;
        }
    }

    /// Number of dirty blocks.
    #[cfg(test)]
    pub fn dirty_count(&self) -> usize {
        self.slots.iter().filter(|s| s.dirty).count()
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

//! A bounded write-back block cache.
//!
//! Blocks are read on first use and kept until evicted. A modified block
//! stays dirty in memory until it is written back, which happens
//!
//! - in the background, once a quarter of the cache is dirty: runs of
//!   consecutive dirty blocks long enough to be worth a request are copied
//!   into buffers and handed to the device ([`WriteBack`]), and the caller
//!   carries on while the device writes;
//! - in full when every cached block is dirty, and at [`Cache::flush`]
//!   (called by `Fs::sync`), which also waits for every write in flight
//!   and reports any background write that failed.
//!
//! Runs are written in block order, at most
//! [`RUN_BYTES`](crate::writeback::RUN_BYTES) per request.
//! Eviction picks a clean block with the CLOCK algorithm (an approximation
//! of least recently used that costs O(1) per access).
//!
//! The cache also owns the file-data read-ahead segments
//! ([`ReadAhead`]), so that every write-back invalidates their copies of
//! the blocks written, and so that no device read of a block starts while
//! a write of it is in flight (reads go through [`Cache::ra_fill`] and
//! [`Cache::ra_prefetch`]).

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::readahead::ReadAhead;
use crate::writeback::WriteBack;

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
    /// The dirty count at which the next background write-back is tried.
    next_round: usize,
    /// Write-back requests in flight (see the module documentation).
    wb: WriteBack,
    /// Whole blocks of file data written at the end of a run, held in a
    /// write-back buffer instead of slots (see [`Stage`]).
    stage: Option<Stage>,
    /// File-data read-ahead (see the module documentation).
    pub(crate) ra: ReadAhead,
}

/// A run of dirty blocks: the first block and the slot of each.
type Run = (u32, Vec<usize>);

/// Consecutive blocks of file data, each written whole and not cached
/// otherwise, collected straight into a write-back buffer: a sequential
/// writer's data is copied once and its blocks cost no slot. The run is
/// started as one write when it is full, when a block of it is needed
/// through the slots (or freed), before the device reads any of it, and
/// at [`Cache::flush`]; reads of file data are served from it meanwhile.
#[derive(Debug)]
struct Stage {
    first: u32,
    buf: Vec<u8>,
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
            next_round: 0,
            wb: WriteBack::new(block_size),
            stage: None,
            ra: ReadAhead::new(block_size),
        }
        .with_first_round()
    }

    fn with_first_round(mut self) -> Self {
        self.next_round = self.background_start();
        self
    }

    /// Dirty blocks that start a background write-back.
    fn background_start(&self) -> usize {
        (self.capacity / 4).max(1)
    }

    /// The shortest run a background write-back writes (shorter ones,
    /// typically metadata that keeps changing, wait for a full one).
    fn min_background_run(&self) -> usize {
        (self.wb.max_blocks() / 4).min(self.capacity / 16).max(1)
    }

    fn offset(&self, block: u32) -> u64 {
        u64::from(block) * self.block_size as u64
    }

    /// Whether `block` is cached (in a slot or the stage).
    pub fn contains(&self, block: u32) -> bool {
        self.map.contains_key(&block) || self.staged(block).is_some()
    }

    /// The contents of `block` if it is in the stage.
    pub fn staged(&self, block: u32) -> Option<&[u8]> {
        let s = self.stage.as_ref()?;
        let k = block.checked_sub(s.first)? as usize * self.block_size;
        s.buf.get(k..k + self.block_size)
    }

    /// Whether the stage holds any of blocks `first..first + count`.
    fn stage_overlaps(&self, first: u32, count: u32) -> bool {
        self.stage.as_ref().is_some_and(|s| {
            let end = u64::from(s.first) + (s.buf.len() / self.block_size) as u64;
            u64::from(s.first) < u64::from(first) + u64::from(count) && u64::from(first) < end
        })
    }

    /// Start writing the stage, if there is one.
    fn start_stage(&mut self, dev: &mut dyn BlockDevice) {
        if let Some(Stage { first, buf }) = self.stage.take() {
            let n = (buf.len() / self.block_size) as u32;
            self.wb.wait_range(dev, first, n);
            self.ra.invalidate(first, n);
            self.wb.start(dev, first, buf);
        }
    }

    /// Find or load `block`; with `read == false` a missing block is not
    /// read from the device (its contents are left unspecified).
    fn slot(&mut self, dev: &mut dyn BlockDevice, block: u32, read: bool) -> Result<usize> {
        if let Some(&i) = self.map.get(&block) {
            self.slots[i].referenced = true;
            return Ok(i);
        }
        if self.stage_overlaps(block, 1) {
            // One copy only: the stage goes to the device, the slot reads
            // it back (after the write).
            self.start_stage(dev);
        }
        if self.dirty >= self.next_round {
            self.write_back(dev, false);
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
            self.wb.wait_range(dev, block, 1);
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
            self.write_back(dev, true);
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
        // Unreachable while `dirty` is exact; fall back to a full write.
        self.write_back(dev, true);
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
    /// without reading it first; it becomes dirty. `fresh`: the block was
    /// just allocated (file data being appended), so unless it is already
    /// in a slot it goes into the stage, continuing its run or starting a
    /// new one (the old run is started). Other blocks go into the stage
    /// only when it holds them already.
    pub fn overwrite(
        &mut self,
        dev: &mut dyn BlockDevice,
        block: u32,
        data: &[u8],
        fresh: bool,
    ) -> Result<()> {
        if !self.map.contains_key(&block) {
            let max = self.wb.max_blocks();
            if let Some(s) = &mut self.stage {
                let k = (block.wrapping_sub(s.first)) as usize;
                let held = s.buf.len() / self.block_size;
                if k < held {
                    s.buf[k * self.block_size..][..self.block_size].copy_from_slice(data);
                    return Ok(());
                }
                if fresh && k == held && held < max {
                    s.buf.extend_from_slice(data);
                    if held + 1 == max {
                        self.start_stage(dev);
                    }
                    return Ok(());
                }
            }
            if fresh {
                self.start_stage(dev);
                let mut buf = self.wb.buffer(dev);
                buf.extend_from_slice(data);
                self.stage = Some(Stage { first: block, buf });
                return Ok(());
            }
        }
        let i = self.slot(dev, block, false)?;
        self.mark_dirty(i);
        self.slots[i].data.copy_from_slice(data);
        Ok(())
    }

    /// Forget `block` without writing it back (it was freed).
    pub fn discard(&mut self, dev: &mut dyn BlockDevice, block: u32) {
        if self.stage_overlaps(block, 1) {
            // Written anyway (harmless: the block is free); what reuses
            // it is written after it.
            self.start_stage(dev);
        }
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
    /// consecutive blocks into single requests, and wait for every write
    /// in flight. Fails if any write failed since the last flush, in the
    /// background or now (each failure is reported once).
    pub fn flush(&mut self, dev: &mut dyn BlockDevice) -> Result<()> {
        self.start_stage(dev);
        self.write_back(dev, true);
        self.wb.wait_all(dev);
        self.wb.take_error().map_err(Error::from)
    }

    /// Wait for every write in flight (errors are kept for the next
    /// [`flush`](Self::flush)); the stage is dropped unwritten.
    pub fn settle(&mut self, dev: &mut dyn BlockDevice) {
        self.stage = None;
        self.wb.wait_all(dev);
    }

    /// The runs of consecutive dirty blocks, in block order, each at most
    /// one request long.
    fn dirty_runs(&self) -> Vec<Run> {
        let max_run = self.wb.max_blocks();
        let mut runs: Vec<Run> = Vec::new();
        for (&b, &i) in &self.map {
            if !self.slots[i].dirty {
                continue;
            }
            match runs.last_mut() {
                Some((first, slots))
                    if slots.len() < max_run
                        && u64::from(*first) + slots.len() as u64 == u64::from(b) =>
                {
                    slots.push(i)
                }
                _ => runs.push((b, alloc::vec![i])),
            }
        }
        runs
    }

    /// Start writing dirty blocks back. `all`: every dirty block, waiting
    /// for earlier writes of the same blocks first; otherwise (in the
    /// background) only runs of at least [`min_background_run`] blocks
    /// that overlap no write in flight. The blocks started are clean when
    /// this returns; the writes may still be in flight.
    ///
    /// [`min_background_run`]: Self::min_background_run
    fn write_back(&mut self, dev: &mut dyn BlockDevice, all: bool) {
        let min = if all { 1 } else { self.min_background_run() };
        for (first, slots) in self.dirty_runs() {
            let n = slots.len() as u32;
            if !all && (slots.len() < min || self.wb.overlaps(first, n)) {
                continue;
            }
            self.wb.wait_range(dev, first, n);
            self.ra.invalidate(first, n);
            let mut buf = self.wb.buffer(dev);
            for &i in &slots {
                buf.extend_from_slice(&self.slots[i].data);
                self.slots[i].dirty = false;
            }
            self.dirty -= slots.len();
            self.wb.start(dev, first, buf);
        }
        // Try again once a little more is dirty (or at the usual start).
        self.next_round = self
            .background_start()
            .max(self.dirty + (self.capacity / 8).max(1));
    }

    /// Read `count` blocks from `first` into a read-ahead segment now
    /// (see [`ReadAhead::fill`]), after any write of them in flight.
    pub fn ra_fill(&mut self, dev: &mut dyn BlockDevice, first: u32, count: u32) -> Result<usize> {
        // (Reads look in the stage first and starting it invalidates the
        // segments, so this only keeps stale copies out of the segments.)
        if self.stage_overlaps(first, count) {
            self.start_stage(dev);
        }
        self.wb.wait_range(dev, first, count);
        self.ra.fill(dev, first, count)
    }

    /// Start reading `count` blocks from `first` in the background (see
    /// [`ReadAhead::prefetch`]); not while a write of any of them is in
    /// flight (the read-ahead is skipped then).
    pub fn ra_prefetch(&mut self, dev: &mut dyn BlockDevice, first: u32, count: u32) {
        if !self.wb.overlaps(first, count) && !self.stage_overlaps(first, count) {
            self.ra.prefetch(dev, first, count);
        }
    }

    /// Writes in flight.
    #[cfg(test)]
    pub fn writes_in_flight(&self) -> usize {
        self.wb.in_flight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{MemDevice, Pending};
    use crate::error::DeviceError;

    /// Write `block` whole through a slot (not the stage).
    fn put(
        c: &mut Cache,
        dev: &mut dyn BlockDevice,
        block: u32,
        v: u8,
    ) -> core::result::Result<(), Error> {
        c.get_zeroed(dev, block).map(|d| d.fill(v))
    }

    #[test]
    fn write_back_and_eviction() {
        let mut dev = MemDevice::zeroed(1024 * 256);
        // 64 blocks: background write-back from 16 dirty, runs of 4 up.
        let mut c = Cache::new(1024, 64);
        for b in 0..16u32 {
            c.get_mut(&mut dev, b).unwrap()[0] = b as u8 + 1;
        }
        assert_eq!(c.dirty_count(), 16);
        // Nothing reached the device yet.
        assert!(dev.as_slice().iter().all(|&x| x == 0));
        // The next miss starts the background write-back of the run.
        c.get(&mut dev, 100).unwrap();
        assert_eq!(c.dirty_count(), 0);
        for b in 0..16usize {
            assert_eq!(dev.as_slice()[b * 1024], b as u8 + 1);
        }
        // Short runs wait: 8 scattered dirty blocks stay in memory...
        for b in 0..8u32 {
            c.get_mut(&mut dev, 120 + 3 * b).unwrap()[0] = 7;
        }
        for b in 0..16u32 {
            c.get(&mut dev, 200 + b).unwrap();
        }
        assert_eq!(c.dirty_count(), 8);
        assert_eq!(dev.as_slice()[120 * 1024], 0);
        // ... until the cache is all dirty.
        for b in 0..56u32 {
            c.get_mut(&mut dev, 140 + 2 * b).unwrap();
        }
        assert_eq!(c.dirty_count(), 64);
        assert_eq!(dev.as_slice()[120 * 1024], 0);
        c.get(&mut dev, 253).unwrap();
        assert_eq!(c.dirty_count(), 0);
        assert_eq!(dev.as_slice()[120 * 1024], 7);
        // Reads see the data; discarded blocks are not written.
        c.get_zeroed(&mut dev, 50).unwrap()[0] = 9;
        c.discard(&mut dev, 50);
        c.flush(&mut dev).unwrap();
        assert_eq!(c.dirty_count(), 0);
        assert_eq!(dev.as_slice()[50 * 1024], 0);
        assert_eq!(c.get(&mut dev, 3).unwrap()[0], 4);
    }

    /// A device whose `start_write`s stay in flight until finished. When
    /// one is finished, every write in flight is applied, newest first (so
    /// two overlapping writes in flight would leave the older data), and
    /// writes at or past `fail_from` fail.
    struct Deferred {
        mem: MemDevice,
        flight: Vec<(u64, u64, Vec<u8>)>,
        done: Vec<(u64, Vec<u8>, core::result::Result<(), DeviceError>)>,
        next: u64,
        fail_from: u64,
    }

    impl Deferred {
        fn new(blocks: usize) -> Self {
            Deferred {
                mem: MemDevice::zeroed(blocks * 1024),
                flight: Vec::new(),
                done: Vec::new(),
                next: 0,
                fail_from: u64::MAX,
            }
        }
    }

    impl BlockDevice for Deferred {
        fn read_at(&mut self, off: u64, buf: &mut [u8]) -> core::result::Result<(), DeviceError> {
            self.mem.read_at(off, buf)
        }
        fn write_at(&mut self, off: u64, buf: &[u8]) -> core::result::Result<(), DeviceError> {
            self.mem.write_at(off, buf)
        }
        fn flush(&mut self) -> core::result::Result<(), DeviceError> {
            Ok(())
        }
        fn size(&self) -> u64 {
            self.mem.size()
        }
        fn start_write(&mut self, off: u64, buf: Vec<u8>) -> Pending {
            self.next += 1;
            self.flight.push((self.next, off, buf));
            Pending::started(self.next)
        }
        fn finish(&mut self, p: Pending) -> (Vec<u8>, core::result::Result<(), DeviceError>) {
            let id = p.into_state().unwrap();
            while let Some((id, off, buf)) = self.flight.pop() {
                let r = if off >= self.fail_from {
                    Err(DeviceError::Failed)
                } else {
                    self.mem.write_at(off, &buf)
                };
                self.done.push((id, buf, r));
            }
            let k = self.done.iter().position(|d| d.0 == id).unwrap();
            let (_, buf, r) = self.done.remove(k);
            (buf, r)
        }
    }

    #[test]
    fn background_writes_stay_coherent() {
        let mut dev = Deferred::new(4096);
        let mut c = Cache::new(1024, 64);
        let mut other = 100u32;
        let mut evict = |c: &mut Cache, dev: &mut Deferred| {
            for _ in 0..128 {
                c.get(dev, other).unwrap();
                other += 1;
            }
        };
        // Rewrite blocks 0..16 over and over, reading each back after
        // pushing it out of the cache: every read must see the last
        // write, every write land in order.
        for round in 1..=6u8 {
            for b in 0..17u32 {
                put(&mut c, &mut dev, b, round.wrapping_add(b as u8)).unwrap();
            }
            assert!(c.writes_in_flight() > 0, "round {round}");
            // The data went into buffers: the device has none of it yet.
            assert_ne!(dev.mem.as_slice()[1], round.wrapping_add(1));
            // Evict blocks 0..16 by reading others.
            evict(&mut c, &mut dev);
            // Most were written back and evicted (the last few of the
            // round may still be dirty); all read back as written.
            let gone = (0..16u32).filter(|&b| !c.contains(b)).count();
            assert!(gone >= 8, "round {round}: {gone} evicted");
            for b in 0..17u32 {
                assert_eq!(c.get(&mut dev, b).unwrap()[5], round.wrapping_add(b as u8));
            }
            // Out of the cache again, so that the next round's writes are
            // misses (which is when write-back starts).
            evict(&mut c, &mut dev);
        }
        c.flush(&mut dev).unwrap();
        assert_eq!(c.writes_in_flight(), 0);
        assert!(dev.flight.is_empty());
        for b in 0..17usize {
            assert_eq!(dev.mem.as_slice()[b * 1024 + 1023], 6 + b as u8);
        }
    }

    #[test]
    fn rewrites_of_blocks_in_flight_land_in_order() {
        let mut dev = Deferred::new(1024);
        let mut c = Cache::new(1024, 64);
        for b in 0..17u32 {
            put(&mut c, &mut dev, b, 1).unwrap();
        }
        assert_eq!(c.writes_in_flight(), 1);
        // Rewritten while the first write is in flight (cache hits: no
        // background round) and flushed: the second write must not be in
        // flight together with the first.
        for b in 0..16u32 {
            put(&mut c, &mut dev, b, 2).unwrap();
        }
        c.flush(&mut dev).unwrap();
        for b in 0..17usize {
            assert_eq!(dev.mem.as_slice()[b * 1024], if b < 16 { 2 } else { 1 });
        }
    }

    #[test]
    fn background_write_errors_surface_at_the_next_flush() {
        let mut dev = Deferred::new(1024);
        dev.fail_from = 256 * 1024;
        let mut c = Cache::new(1024, 64);
        // Start a background write that will fail.
        for b in 300..317u32 {
            put(&mut c, &mut dev, b, 1).unwrap();
        }
        assert_eq!(c.writes_in_flight(), 1);
        // Work that does not touch those blocks goes on undisturbed.
        for b in 0..17u32 {
            put(&mut c, &mut dev, b, 2).unwrap();
        }
        assert_eq!(
            c.flush(&mut dev),
            Err(Error::Io(DeviceError::Failed)),
            "the failed write is reported"
        );
        // Reported once; what was written fine is there.
        assert_eq!(c.flush(&mut dev), Ok(()));
        assert_eq!(dev.mem.as_slice()[16 * 1024], 2);
        // A write failing in `flush` itself is reported too.
        put(&mut c, &mut dev, 400, 3).unwrap();
        assert!(c.flush(&mut dev).is_err());
        assert_eq!(c.writes_in_flight(), 0);
    }

    #[test]
    fn the_stage_collects_a_run_and_stays_coherent() {
        let mut dev = Deferred::new(4096);
        let mut c = Cache::new(1024, 64);
        let max = c.wb.max_blocks() as u32;
        // A run of whole blocks goes into the stage: no slots, no device.
        for b in 10..20u32 {
            c.overwrite(&mut dev, b, &[b as u8; 1024], true).unwrap();
        }
        assert!(c.map.is_empty() && c.contains(15));
        assert_eq!(c.staged(15).unwrap()[9], 15);
        assert_eq!(c.staged(20), None);
        // Rewritten in place; a block that was not just allocated goes
        // to a slot.
        c.overwrite(&mut dev, 12, &[99; 1024], false).unwrap();
        c.overwrite(&mut dev, 40, &[40; 1024], false).unwrap();
        assert!(c.map.contains_key(&40) && c.staged(40).is_none());
        assert_eq!(c.writes_in_flight(), 0);
        // Needed through a slot: the stage is written, then read back.
        assert_eq!(c.get(&mut dev, 12).unwrap()[0], 99);
        assert!(c.staged(13).is_none());
        assert_eq!(dev.mem.as_slice()[19 * 1024], 19);
        // A full stage starts by itself.
        for b in 0..max {
            c.overwrite(&mut dev, 1000 + b, &[7; 1024], true).unwrap();
        }
        assert!(c.stage.is_none() && c.writes_in_flight() == 1);
        // Freeing a staged block starts the stage (and loses nothing).
        c.overwrite(&mut dev, 2000, &[1; 1024], true).unwrap();
        c.overwrite(&mut dev, 2001, &[2; 1024], true).unwrap();
        c.discard(&mut dev, 2000);
        assert!(c.stage.is_none());
        // A fresh block off the run starts a new one (the old is written).
        c.overwrite(&mut dev, 2999, &[4; 1024], true).unwrap();
        c.overwrite(&mut dev, 3000, &[3; 1024], true).unwrap();
        assert_eq!(c.stage.as_ref().map(|s| s.first), Some(2999));
        c.overwrite(&mut dev, 2500, &[5; 1024], true).unwrap();
        assert_eq!(c.stage.as_ref().map(|s| s.first), Some(2500));
        assert_eq!(c.staged(3000), None);
        c.flush(&mut dev).unwrap();
        assert!(c.stage.is_none() && dev.flight.is_empty());
        for (b, v) in [
            (1000 + max as usize - 1, 7),
            (2001, 2),
            (3000, 3),
            (2500, 5),
            (40, 40),
        ] {
            assert_eq!(dev.mem.as_slice()[b * 1024 + 5], v, "block {b}");
        }
    }

    #[test]
    fn writes_in_flight_are_bounded() {
        let mut dev = Deferred::new(4096);
        let mut c = Cache::new(1024, 64);
        for b in 0..2000u32 {
            put(&mut c, &mut dev, b, b as u8).unwrap();
            assert!(c.writes_in_flight() <= crate::writeback::MAX_IN_FLIGHT);
            assert!(dev.flight.len() <= crate::writeback::MAX_IN_FLIGHT);
        }
        c.flush(&mut dev).unwrap();
        for b in 0..2000usize {
            assert_eq!(dev.mem.as_slice()[b * 1024], b as u8);
        }
    }
}

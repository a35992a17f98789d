//! Background write-back: runs of dirty blocks copied into owned buffers
//! and handed to the device with [`BlockDevice::start_write`], so that the
//! caller keeps working while the device writes.
//!
//! The cache copies a run of consecutive dirty blocks into a buffer from
//! here, starts the write and marks the blocks clean at once: the buffer
//! is a snapshot, so the blocks may be changed again or evicted while it
//! is in flight. What keeps this correct:
//!
//! - **Order.** Requests in flight may complete in any order, so a write
//!   overlapping one still in flight waits for it first
//!   ([`WriteBack::wait_range`]); background rounds skip such blocks
//!   instead (they stay dirty).
//! - **Reads.** Every device read of blocks (cache misses, read-ahead
//!   fills and prefetches) first waits for in-flight writes of those
//!   blocks, so it never sees the old contents.
//! - **Errors.** A write that fails in the background has no caller to
//!   tell; its error is kept and reported by the next
//!   [`Cache::flush`](crate::cache::Cache::flush), i.e. the next `sync` or
//!   unmount (once, as Linux reports a write-back error at the next
//!   `fsync`). The data of that write is lost, as on Linux.
//! - **Bounds.** At most [`MAX_IN_FLIGHT`] writes of at most
//!   [`RUN_BYTES`] each; starting another waits for the oldest. Buffers
//!   are reused: at most `MAX_IN_FLIGHT` exist, plus the cache's stage
//!   (one more), so a mount holds at most 1.25 MiB of them.
//!
//! On a device without overlapping transfers (the default `start_write`,
//! e.g. the SD card or [`MemDevice`](crate::MemDevice)) every write ends
//! before `start` returns and none of this waiting ever happens.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::device::{BlockDevice, Pending};
use crate::error::DeviceError;

/// Writes in flight at once (together with read-ahead's four segments,
/// within the eight requests the kernel's virtio driver keeps).
pub(crate) const MAX_IN_FLIGHT: usize = 4;
/// The most bytes one write-back request moves.
pub(crate) const RUN_BYTES: usize = 256 * 1024;

#[derive(Debug)]
struct Write {
    first: u32,
    count: u32,
    pending: Pending,
}

impl Write {
    fn overlaps(&self, first: u32, count: u32) -> bool {
        crate::readahead::runs_overlap((self.first, self.count), (first, count))
    }
}

/// The write-back requests in flight (see the module documentation).
#[derive(Debug)]
pub(crate) struct WriteBack {
    block_size: usize,
    /// Oldest first.
    flight: VecDeque<Write>,
    /// Buffers of ended writes, for reuse.
    spare: Vec<Vec<u8>>,
    /// The first error of a write nobody has been told about yet.
    error: Option<DeviceError>,
}

impl WriteBack {
    pub fn new(block_size: u32) -> Self {
        WriteBack {
            block_size: block_size as usize,
            flight: VecDeque::new(),
            spare: Vec::new(),
            error: None,
        }
    }

    /// The most blocks one request holds.
    pub fn max_blocks(&self) -> usize {
        (RUN_BYTES / self.block_size).max(1)
    }

    /// Writes in flight.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.flight.len()
    }

    /// Whether a write of any of blocks `first..first + count` is in
    /// flight.
    pub fn overlaps(&self, first: u32, count: u32) -> bool {
        self.flight.iter().any(|w| w.overlaps(first, count))
    }

    /// An empty buffer with room for a run: a spare one, after waiting
    /// for the oldest write when [`MAX_IN_FLIGHT`] are in flight (so at
    /// most that many buffers ever exist), or a new one.
    pub fn buffer(&mut self, dev: &mut dyn BlockDevice) -> Vec<u8> {
        if self.flight.len() >= MAX_IN_FLIGHT {
            self.wait_oldest(dev);
        }
        match self.spare.pop() {
            Some(mut buf) => {
                buf.clear();
                buf
            }
            None => Vec::with_capacity(self.max_blocks() * self.block_size),
        }
    }

    /// Note how a write ended; keep its buffer for reuse.
    fn ended(&mut self, buf: Vec<u8>, r: Result<(), DeviceError>) {
        if let Err(e) = r {
            self.error.get_or_insert(e);
        }
        // Keep at most one buffer per write that can be in flight; one
        // that never grew (a failed start) is not worth keeping.
        if buf.capacity() > 0 && self.spare.len() < MAX_IN_FLIGHT {
            self.spare.push(buf);
        }
    }

    /// Start writing `buf` (whole blocks, from [`buffer`](Self::buffer))
    /// at block `first`. Waits for the oldest write when [`MAX_IN_FLIGHT`]
    /// are in flight. The caller has made sure no write in flight overlaps
    /// it.
    pub fn start(&mut self, dev: &mut dyn BlockDevice, first: u32, buf: Vec<u8>) {
        debug_assert!(buf.len().is_multiple_of(self.block_size) && !buf.is_empty());
        let count = (buf.len() / self.block_size) as u32;
        debug_assert!(!self.overlaps(first, count));
        if self.flight.len() >= MAX_IN_FLIGHT {
            self.wait_oldest(dev);
        }
        let p = dev.start_write(u64::from(first) * self.block_size as u64, buf);
        match p.into_state() {
            Ok(id) => self.flight.push_back(Write {
                first,
                count,
                pending: Pending::started(id),
            }),
            Err((buf, r)) => self.ended(buf, r),
        }
    }

    fn wait_oldest(&mut self, dev: &mut dyn BlockDevice) {
        if let Some(w) = self.flight.pop_front() {
            let (buf, r) = dev.finish(w.pending);
            self.ended(buf, r);
        }
    }

    /// Wait for every write in flight that overlaps blocks `first..first +
    /// count` (before the device reads or rewrites them).
    pub fn wait_range(&mut self, dev: &mut dyn BlockDevice, first: u32, count: u32) {
        // Oldest first, so that waiting for the last overlapping one
        // leaves nothing older behind it needlessly.
        while let Some(k) = self.flight.iter().rposition(|w| w.overlaps(first, count)) {
            for _ in 0..=k {
                self.wait_oldest(dev);
            }
        }
    }

    /// Wait for every write in flight.
    pub fn wait_all(&mut self, dev: &mut dyn BlockDevice) {
        while !self.flight.is_empty() {
            self.wait_oldest(dev);
        }
    }

    /// The error of a write that failed since the last call, if any
    /// (cleared: each failure is reported once).
    pub fn take_error(&mut self) -> Result<(), DeviceError> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

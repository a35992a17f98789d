//! The block device the filesystem programs against, an in-memory device
//! and a partition window over another device.
//!
//! Besides synchronous `read_at`/`write_at`, a device may overlap
//! transfers with the caller's work: [`BlockDevice::start_read`] hands it
//! a buffer it keeps until [`BlockDevice::finish`] gives it back. The
//! default implementations transfer synchronously, so simple devices (and
//! the tests' [`MemDevice`]) need nothing more.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::DeviceError;

/// The unit of device I/O: offsets and lengths are multiples of this.
pub const SECTOR_SIZE: u64 = 512;

/// A transfer started with [`BlockDevice::start_read`] or
/// [`BlockDevice::start_write`]. Give it to [`BlockDevice::finish`] to get
/// the buffer and the result back.
#[derive(Debug)]
#[must_use = "a started transfer must be finished to get its buffer back"]
pub struct Pending(PendingState);

#[derive(Debug)]
enum PendingState {
    Done(Vec<u8>, Result<(), DeviceError>),
    Started(u64),
}

impl Pending {
    /// A transfer that has already ended (synchronous devices).
    pub fn done(buf: Vec<u8>, result: Result<(), DeviceError>) -> Self {
        Pending(PendingState::Done(buf, result))
    }

    /// A transfer in flight, known to the device as `id` (the device keeps
    /// the buffer meanwhile).
    pub fn started(id: u64) -> Self {
        Pending(PendingState::Started(id))
    }

    /// The device's id of a transfer in flight, or the buffer and result of
    /// one that has ended.
    pub fn into_state(self) -> core::result::Result<u64, (Vec<u8>, Result<(), DeviceError>)> {
        match self.0 {
            PendingState::Started(id) => Ok(id),
            PendingState::Done(buf, r) => Err((buf, r)),
        }
    }
}

/// A byte-addressed block device with 512-byte granularity.
///
/// The filesystem only issues requests whose offset and length are
/// multiples of [`SECTOR_SIZE`] (in practice, of the filesystem block size,
/// and 1024 bytes at offset 1024 for the superblock).
pub trait BlockDevice {
    /// Read `buf.len()` bytes (a multiple of 512) starting at byte offset
    /// `offset` (512-aligned).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError>;
    /// Write `buf` (a multiple of 512 bytes) at byte offset `offset`
    /// (512-aligned).
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError>;
    /// Make earlier writes durable (drain the device's write cache).
    fn flush(&mut self) -> Result<(), DeviceError>;
    /// The capacity in bytes.
    fn size(&self) -> u64;
    /// Start reading `buf.len()` bytes at `offset` into `buf`, which the
    /// device keeps until [`finish`](Self::finish). The default reads
    /// synchronously.
    fn start_read(&mut self, offset: u64, mut buf: Vec<u8>) -> Pending {
        let r = self.read_at(offset, &mut buf);
        Pending::done(buf, r)
    }
    /// Start writing `buf` at `offset`; as [`start_read`](Self::start_read).
    fn start_write(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        let r = self.write_at(offset, &buf);
        Pending::done(buf, r)
    }
    /// Wait for a transfer to end; its buffer and result. The default
    /// handles the ended transfers of the default `start_*`.
    fn finish(&mut self, pending: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        match pending.into_state() {
            Err(done) => done,
            Ok(_) => (Vec::new(), Err(DeviceError::Failed)),
        }
    }
}

impl<T: BlockDevice + ?Sized> BlockDevice for &mut T {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        (**self).read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        (**self).write_at(offset, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn start_read(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        (**self).start_read(offset, buf)
    }
    fn start_write(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        (**self).start_write(offset, buf)
    }
    fn finish(&mut self, pending: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        (**self).finish(pending)
    }
}

impl<T: BlockDevice + ?Sized> BlockDevice for Box<T> {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        (**self).read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        (**self).write_at(offset, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
    fn size(&self) -> u64 {
        (**self).size()
    }
    fn start_read(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        (**self).start_read(offset, buf)
    }
    fn start_write(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        (**self).start_write(offset, buf)
    }
    fn finish(&mut self, pending: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        (**self).finish(pending)
    }
}

/// Check a request of `len` bytes at `offset` against alignment and a
/// device of `size` bytes.
fn check_request(offset: u64, len: usize, size: u64) -> Result<(), DeviceError> {
    let len = len as u64;
    if !offset.is_multiple_of(SECTOR_SIZE) || !len.is_multiple_of(SECTOR_SIZE) {
        return Err(DeviceError::Misaligned);
    }
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(DeviceError::OutOfRange),
    }
}

/// A device backed by memory (a disk image loaded whole), for tests and
/// RAM disks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemDevice {
    data: Vec<u8>,
}

impl MemDevice {
    /// A device holding `data`; its size is `data.len()` rounded down to a
    /// multiple of 512.
    pub fn new(data: Vec<u8>) -> Self {
        MemDevice { data }
    }

    /// A zero-filled device of `size` bytes.
    pub fn zeroed(size: usize) -> Self {
        MemDevice {
            data: alloc::vec![0; size],
        }
    }

    /// The contents.
    pub fn as_slice(&self) -> &[u8] {
        &self.data
    }

    /// The contents, mutably (to corrupt images in tests).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Give the contents back.
    pub fn into_inner(self) -> Vec<u8> {
        self.data
    }
}

impl BlockDevice for MemDevice {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        check_request(offset, buf.len(), self.size())?;
        let start = offset as usize;
        buf.copy_from_slice(&self.data[start..start + buf.len()]);
        Ok(())
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        check_request(offset, buf.len(), self.size())?;
        let start = offset as usize;
        self.data[start..start + buf.len()].copy_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }

    fn size(&self) -> u64 {
        self.data.len() as u64 / SECTOR_SIZE * SECTOR_SIZE
    }
}

/// A window of `len` bytes starting at byte `start` of another device (a
/// partition). Requests are bounds-checked against the window.
#[derive(Debug)]
pub struct Partition<D> {
    dev: D,
    start: u64,
    len: u64,
}

impl<D: BlockDevice> Partition<D> {
    /// The window `[start, start + len)` of `dev`. Both must be multiples
    /// of 512 and the window must lie inside the device.
    pub fn new(dev: D, start: u64, len: u64) -> Result<Self, DeviceError> {
        if !start.is_multiple_of(SECTOR_SIZE) || !len.is_multiple_of(SECTOR_SIZE) {
            return Err(DeviceError::Misaligned);
        }
        match start.checked_add(len) {
            Some(end) if end <= dev.size() => Ok(Partition { dev, start, len }),
            _ => Err(DeviceError::OutOfRange),
        }
    }

    /// The underlying device.
    pub fn into_inner(self) -> D {
        self.dev
    }

    /// The byte offset of the window on the underlying device.
    pub fn start(&self) -> u64 {
        self.start
    }
}

impl<D: BlockDevice> BlockDevice for Partition<D> {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        check_request(offset, buf.len(), self.len)?;
        self.dev.read_at(self.start + offset, buf)
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        check_request(offset, buf.len(), self.len)?;
        self.dev.write_at(self.start + offset, buf)
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        self.dev.flush()
    }

    fn size(&self) -> u64 {
        self.len
    }

    fn start_read(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        match check_request(offset, buf.len(), self.len) {
            Ok(()) => self.dev.start_read(self.start + offset, buf),
            Err(e) => Pending::done(buf, Err(e)),
        }
    }

    fn start_write(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        match check_request(offset, buf.len(), self.len) {
            Ok(()) => self.dev.start_write(self.start + offset, buf),
            Err(e) => Pending::done(buf, Err(e)),
        }
    }

    fn finish(&mut self, pending: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        self.dev.finish(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_device_checks_bounds_and_alignment() {
        let mut d = MemDevice::zeroed(4096);
        let mut buf = [0u8; 512];
        assert_eq!(d.read_at(4096, &mut buf), Err(DeviceError::OutOfRange));
        assert_eq!(d.read_at(100, &mut buf), Err(DeviceError::Misaligned));
        assert_eq!(
            d.read_at(u64::MAX - 511, &mut buf),
            Err(DeviceError::OutOfRange)
        );
        buf[0] = 7;
        d.write_at(3584, &buf).unwrap();
        assert_eq!(d.as_slice()[3584], 7);
    }

    #[test]
    fn partition_is_a_window() {
        let d = MemDevice::zeroed(8192);
        assert!(Partition::new(MemDevice::zeroed(1024), 512, 1024).is_err());
        let mut p = Partition::new(d, 1024, 2048).unwrap();
        assert_eq!(p.size(), 2048);
        let buf = [9u8; 512];
        p.write_at(1536, &buf).unwrap();
        assert_eq!(p.write_at(2048, &buf), Err(DeviceError::OutOfRange));
        let d = p.into_inner();
        assert_eq!(d.as_slice()[2560], 9);
        assert_eq!(d.as_slice()[2559], 0);
    }
}

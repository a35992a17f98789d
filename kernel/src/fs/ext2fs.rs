//! ext2 in the kernel: the portable `ext2` crate behind [`FileSystem`],
//! on a disk (or one partition of it) from the board.

use super::{Dirent, FileSystem};
use abi::fs::{kind, FsStat, Stat};
use abi::Error;
use alloc::vec::Vec;
use bsp_api::{BlockDevice, BlockError, Ticket, SECTOR_SIZE};
use ext2::{DeviceError, FileKind, Fs, Pending};

/// Transfers in flight a [`Disk`] keeps room for.
const FLIGHT_ROOM: usize = 8;

/// A disk region as the ext2 crate's block device.
pub struct Disk {
    disk: &'static dyn BlockDevice,
    first_sector: u64,
    sectors: u64,
    /// Transfers in flight: our id, the device's ticket, and the buffer,
    /// which stays here (owned, never touched) until the transfer ends.
    flight: Vec<(u64, Ticket, Vec<u8>)>,
    next_id: u64,
}

impl Disk {
    pub fn new(disk: &'static dyn BlockDevice, first_sector: u64, sectors: u64) -> Self {
        Self {
            disk,
            first_sector,
            sectors,
            // Room for more than ext2 ever has in flight, so the heap in
            // use does not creep up with the first transfers.
            flight: Vec::with_capacity(FLIGHT_ROOM),
            next_id: 0,
        }
    }

    /// Start a transfer of `buf` at byte `offset` (see `start_read`).
    fn start(&mut self, offset: u64, mut buf: Vec<u8>, write: bool) -> Pending {
        let sector = match self.sector(offset, buf.len()) {
            Ok(s) => s,
            Err(e) => return Pending::done(buf, Err(e)),
        };
        // SAFETY: the buffer is heap memory in the linear map (physically
        // contiguous: the heap is one run of frames); it is kept in
        // `self.flight`, untouched, until `finish` has waited for it. If
        // the `Disk` were dropped first the buffer would be freed with a
        // transfer in flight, so `Drop` waits for them all.
        let ticket = unsafe {
            if write {
                self.disk.submit_write(sector, buf.as_ptr(), buf.len())
            } else {
                self.disk.submit_read(sector, buf.as_mut_ptr(), buf.len())
            }
        };
        if let Some(r) = ticket.result() {
            return Pending::done(buf, r.map_err(device_error));
        }
        self.next_id += 1;
        self.flight.push((self.next_id, ticket, buf));
        Pending::started(self.next_id)
    }

    fn sector(&self, offset: u64, len: usize) -> Result<u64, DeviceError> {
        let s = SECTOR_SIZE as u64;
        if !offset.is_multiple_of(s) || !(len as u64).is_multiple_of(s) {
            return Err(DeviceError::Misaligned);
        }
        let first = offset / s;
        if first
            .checked_add(len as u64 / s)
            .is_none_or(|end| end > self.sectors)
        {
            return Err(DeviceError::OutOfRange);
        }
        Ok(self.first_sector + first)
    }
}

fn device_error(e: BlockError) -> DeviceError {
    match e {
        BlockError::OutOfRange => DeviceError::OutOfRange,
        BlockError::Io | BlockError::ReadOnly => DeviceError::Failed,
    }
}

impl ext2::BlockDevice for Disk {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        let sector = self.sector(offset, buf.len())?;
        self.disk.read(sector, buf).map_err(device_error)
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        let sector = self.sector(offset, buf.len())?;
        self.disk.write(sector, buf).map_err(device_error)
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        self.disk.flush().map_err(device_error)
    }

    fn size(&self) -> u64 {
        self.sectors * SECTOR_SIZE as u64
    }

    fn start_read(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        self.start(offset, buf, false)
    }

    fn start_write(&mut self, offset: u64, buf: Vec<u8>) -> Pending {
        self.start(offset, buf, true)
    }

    fn finish(&mut self, pending: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        let id = match pending.into_state() {
            Ok(id) => id,
            Err(done) => return done,
        };
        let Some(k) = self.flight.iter().position(|f| f.0 == id) else {
            return (Vec::new(), Err(DeviceError::Failed));
        };
        let (_, ticket, buf) = self.flight.swap_remove(k);
        if self.flight.is_empty() && self.flight.capacity() > FLIGHT_ROOM {
            self.flight.shrink_to(FLIGHT_ROOM);
        }
        let r = self.disk.finish(ticket).map_err(device_error);
        (buf, r)
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        // No buffer may be freed while the device can still write to it.
        for (_, ticket, _buf) in self.flight.drain(..) {
            let _ = self.disk.finish(ticket);
        }
    }
}

/// ext2 errors as system-call errors.
pub fn error(e: ext2::Error) -> Error {
    use ext2::Error as E;
    match e {
        E::NotFound => Error::NotFound,
        E::Exists => Error::AlreadyExists,
        E::NotDir => Error::NotADirectory,
        E::IsDir => Error::IsADirectory,
        E::NotEmpty => Error::DirectoryNotEmpty,
        E::NoSpace => Error::NoSpace,
        E::NameTooLong => Error::NameTooLong,
        E::InvalidArgument => Error::InvalidArgument,
        E::Loop => Error::Loop,
        E::Corrupt(_) => Error::Corrupt,
        E::Unsupported(_) => Error::Unsupported,
        E::Io(_) => Error::IoError,
        E::ReadOnly => Error::ReadOnly,
        E::TooBig => Error::InvalidArgument,
        E::TooManyLinks => Error::QuotaExceeded,
    }
}

fn kind_of(k: FileKind) -> u8 {
    match k {
        FileKind::Regular => kind::FILE,
        FileKind::Directory => kind::DIRECTORY,
        FileKind::Symlink => kind::SYMLINK,
        _ => kind::OTHER,
    }
}

fn ino(i: u64) -> Result<ext2::Ino, Error> {
    ext2::Ino::try_from(i).map_err(|_| Error::NotFound)
}

fn perm(mode: u32) -> u16 {
    (mode & 0o7777) as u16
}

/// A mounted ext2 file system (`None` only inside `drop_caches`).
pub struct Ext2 {
    fs: Option<Fs<Disk>>,
}

/// The clock ext2 timestamps come from.
fn now() -> u32 {
    (crate::arch::timer::now_ns() / 1_000_000_000) as u32 + EPOCH_AT_BOOT
}

impl Ext2 {
    /// Mount the ext2 file system on `disk` (sectors `first..first+count`).
    pub fn mount(disk: &'static dyn BlockDevice, first: u64, count: u64) -> Result<Self, Error> {
        let mut fs = Fs::mount(Disk::new(disk, first, count)).map_err(error)?;
        fs.set_clock(now);
        Ok(Ext2 { fs: Some(fs) })
    }

    fn fs(&mut self) -> Result<&mut Fs<Disk>, Error> {
        self.fs.as_mut().ok_or(Error::IoError)
    }
}

/// Timestamps are seconds since boot plus this (2026-01-01): there is no
/// real-time clock yet.
const EPOCH_AT_BOOT: u32 = 1_767_225_600;

impl FileSystem for Ext2 {
    fn root(&self) -> u64 {
        self.fs
            .as_ref()
            .map_or(ext2::ROOT_INO as u64, |fs| fs.root() as u64)
    }

    fn lookup(&mut self, dir: u64, name: &str) -> Result<u64, Error> {
        self.fs()?
            .lookup(ino(dir)?, name)
            .map(u64::from)
            .map_err(error)
    }

    fn lookup_kind(&mut self, dir: u64, name: &str) -> Result<(u64, u8), Error> {
        let (i, k) = self.fs()?.lookup_entry(ino(dir)?, name).map_err(error)?;
        Ok((u64::from(i), kind_of(k)))
    }

    fn stat(&mut self, i: u64) -> Result<Stat, Error> {
        let s = self.fs()?.stat(ino(i)?).map_err(error)?;
        Ok(Stat {
            ino: s.ino as u64,
            size: s.size,
            blocks: s.blocks,
            atime: s.atime as u64,
            mtime: s.mtime as u64,
            ctime: s.ctime as u64,
            mode: s.perm as u32,
            links: s.links as u32,
            uid: s.uid,
            gid: s.gid,
            kind: kind_of(s.kind),
            _pad: [0; 7],
        })
    }

    fn read(&mut self, i: u64, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        self.fs()?.read(ino(i)?, offset, buf).map_err(error)
    }

    fn read_with(
        &mut self,
        i: u64,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<usize, Error> {
        self.fs()?
            .read_with(ino(i)?, offset, len, sink)
            .map_err(error)
    }

    fn write(&mut self, i: u64, offset: u64, data: &[u8]) -> Result<usize, Error> {
        self.fs()?.write(ino(i)?, offset, data).map_err(error)
    }

    fn truncate(&mut self, i: u64, size: u64) -> Result<(), Error> {
        self.fs()?.truncate(ino(i)?, size).map_err(error)
    }

    fn create(&mut self, dir: u64, name: &str, mode: u32) -> Result<u64, Error> {
        self.fs()?
            .create(ino(dir)?, name, perm(mode))
            .map(u64::from)
            .map_err(error)
    }

    fn mkdir(&mut self, dir: u64, name: &str, mode: u32) -> Result<u64, Error> {
        self.fs()?
            .mkdir(ino(dir)?, name, perm(mode))
            .map(u64::from)
            .map_err(error)
    }

    fn unlink(&mut self, dir: u64, name: &str) -> Result<(), Error> {
        self.fs()?.unlink(ino(dir)?, name).map_err(error)
    }

    fn rmdir(&mut self, dir: u64, name: &str) -> Result<(), Error> {
        self.fs()?.rmdir(ino(dir)?, name).map_err(error)
    }

    fn rename(&mut self, from_dir: u64, from: &str, to_dir: u64, to: &str) -> Result<(), Error> {
        self.fs()?
            .rename(ino(from_dir)?, from, ino(to_dir)?, to)
            .map_err(error)
    }

    fn link(&mut self, i: u64, dir: u64, name: &str) -> Result<(), Error> {
        self.fs()?.link(ino(i)?, ino(dir)?, name).map_err(error)
    }

    fn symlink(&mut self, dir: u64, name: &str, target: &str) -> Result<u64, Error> {
        self.fs()?
            .symlink(ino(dir)?, name, target)
            .map(u64::from)
            .map_err(error)
    }

    fn readlink(&mut self, i: u64) -> Result<Vec<u8>, Error> {
        self.fs()?.readlink(ino(i)?).map_err(error)
    }

    fn readdir(&mut self, dir: u64, cookie: u64) -> Result<Option<(Dirent, u64)>, Error> {
        let next = self.fs()?.readdir(ino(dir)?, cookie).map_err(error)?;
        Ok(next.map(|(e, c)| {
            (
                Dirent {
                    ino: e.ino as u64,
                    kind: kind_of(e.kind),
                    name: e.name().to_vec(),
                },
                c,
            )
        }))
    }

    fn sync(&mut self) -> Result<(), Error> {
        self.fs()?.sync().map_err(error)
    }

    fn pin(&mut self, i: u64) {
        if let (Ok(fs), Ok(i)) = (self.fs(), ino(i)) {
            fs.pin(i);
        }
    }

    fn unpin(&mut self, i: u64) -> Result<(), Error> {
        self.fs()?.unpin(ino(i)?).map_err(error)
    }

    fn release_unlinked(&mut self) -> Result<(), Error> {
        self.fs()?.release_unlinked().map_err(error)
    }

    fn drop_caches(&mut self) -> Result<(), Error> {
        // Unmount (writing everything back) and mount again: the block
        // cache starts empty. Unmounting frees open-but-unlinked inodes
        // and forgets pins: only call this with no files open.
        let old = self.fs.take().ok_or(Error::IoError)?;
        let dev = old.unmount().map_err(error)?;
        let mut fs = Fs::mount(dev).map_err(error)?;
        fs.set_clock(now);
        self.fs = Some(fs);
        Ok(())
    }

    fn statfs(&mut self) -> FsStat {
        let Ok(fs) = self.fs() else {
            return FsStat::default();
        };
        let s = fs.statfs();
        FsStat {
            block_size: s.block_size as u64,
            blocks: s.blocks,
            free_blocks: s.free_blocks,
            inodes: s.inodes as u64,
            free_inodes: s.free_inodes as u64,
        }
    }
}

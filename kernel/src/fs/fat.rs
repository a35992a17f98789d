//! The Pi's FAT boot partition, read-only at /boot, through the
//! `embedded-sdmmc` crate over the SD card (which it finds via the MBR).
//! Only the root directory is served (the SD image keeps every boot file
//! there); names are the long names where present. Files stay open
//! between reads (a few at a time), so reading a file front to back walks
//! its cluster chain once, not once per read.

use super::{Dirent, FileSystem};
use abi::fs::{kind, FsStat, Stat};
use abi::Error;
use alloc::string::String;
use alloc::vec::Vec;
use bsp_api::{BlockDevice, SECTOR_SIZE};
use core::ops::ControlFlow;
use embedded_sdmmc::{
    Block, BlockCount, BlockIdx, LfnBuffer, Mode, RawDirectory, RawFile, RawVolume, ShortFileName,
    TimeSource, Timestamp, VolumeIdx, VolumeManager,
};

/// The SD card as `embedded-sdmmc` wants it.
pub struct Sd(&'static dyn BlockDevice);

/// A transfer failed.
#[derive(Debug)]
pub struct SdError;

impl core::fmt::Display for SdError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SD card I/O error")
    }
}

impl core::error::Error for SdError {}

impl embedded_sdmmc::BlockDevice for Sd {
    type Error = SdError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), SdError> {
        for (i, b) in blocks.iter_mut().enumerate() {
            self.0
                .read(start.0 as u64 + i as u64, &mut b.contents)
                .map_err(|_| SdError)?;
        }
        Ok(())
    }

    fn write(&self, _blocks: &[Block], _start: BlockIdx) -> Result<(), SdError> {
        Err(SdError) // mounted read-only
    }

    fn num_blocks(&self) -> Result<BlockCount, SdError> {
        u32::try_from(self.0.sectors())
            .map(BlockCount)
            .map_err(|_| SdError)
    }
}

/// No real-time clock: a fixed time (never used, the volume is read-only).
pub struct FixedTime;

impl TimeSource for FixedTime {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp {
            year_since_1970: 56,
            zero_indexed_month: 0,
            zero_indexed_day: 0,
            hours: 0,
            minutes: 0,
            seconds: 0,
        }
    }
}

struct Entry {
    name: String,
    short: ShortFileName,
    size: u32,
    dir: bool,
    /// Last change, seconds since 1970 (also reported as the access and
    /// inode-change times, as Linux's vfat does).
    mtime: u64,
}

const ROOT: u64 = 1;

/// Files `embedded-sdmmc` may have open at once (its `MAX_FILES`).
const MAX_OPEN: usize = 4;

pub struct Fat {
    vm: VolumeManager<Sd, FixedTime, 4, MAX_OPEN, 1>,
    root: RawDirectory,
    _volume: RawVolume,
    entries: Vec<Entry>,
    /// Files kept open between reads, most recently used last.
    open: Vec<(u64, RawFile)>,
}

/// A FAT timestamp (local time, taken as UTC) in seconds since 1970.
fn unix_time(t: &Timestamp) -> u64 {
    let secs = klib::time::unix_seconds(
        1970 + i64::from(t.year_since_1970),
        u32::from(t.zero_indexed_month) + 1,
        u32::from(t.zero_indexed_day) + 1,
        u32::from(t.hours),
        u32::from(t.minutes),
        u32::from(t.seconds),
    );
    secs.max(0) as u64
}

fn io(_: embedded_sdmmc::Error<SdError>) -> Error {
    Error::IoError
}

impl Fat {
    /// Mount the first (FAT) partition of `disk`.
    pub fn mount(disk: &'static dyn BlockDevice) -> Result<Fat, Error> {
        let vm = VolumeManager::new(Sd(disk), FixedTime);
        let volume = vm.open_raw_volume(VolumeIdx(0)).map_err(io)?;
        let root = vm.open_root_dir(volume).map_err(io)?;
        let mut entries = Vec::new();
        let mut lfn = [0u8; 256];
        let mut lfn = LfnBuffer::new(&mut lfn);
        vm.iterate_dir_lfn(root, &mut lfn, |e, long| {
            if !e.attributes.is_volume()
                && e.name.base_name() != b"."
                && e.name.base_name() != b".."
            {
                let name = match long {
                    Some(l) => String::from(l),
                    None => alloc::format!("{}", e.name).to_lowercase(),
                };
                entries.push(Entry {
                    name,
                    short: e.name,
                    size: e.size,
                    dir: e.attributes.is_directory(),
                    mtime: unix_time(&e.mtime),
                });
            }
            ControlFlow::Continue(())
        })
        .map_err(io)?;
        Ok(Fat {
            vm,
            root,
            _volume: volume,
            entries,
            open: Vec::new(),
        })
    }

    /// File `ino` (entry `short`), open: kept from an earlier read, or
    /// opened now (closing the least recently used if all are in use).
    fn open_file(&mut self, ino: u64, short: ShortFileName) -> Result<RawFile, Error> {
        if let Some(i) = self.open.iter().position(|&(n, _)| n == ino) {
            let kept = self.open.remove(i);
            self.open.push(kept);
            return Ok(kept.1);
        }
        if self.open.len() == MAX_OPEN {
            let (_, oldest) = self.open.remove(0);
            self.vm.close_file(oldest).map_err(io)?;
        }
        let file = self
            .vm
            .open_file_in_dir(self.root, short, Mode::ReadOnly)
            .map_err(io)?;
        self.open.push((ino, file));
        Ok(file)
    }

    /// Forget (and close) file `ino` after an error on it.
    fn close_file(&mut self, ino: u64) {
        if let Some(i) = self.open.iter().position(|&(n, _)| n == ino) {
            let (_, file) = self.open.remove(i);
            let _ = self.vm.close_file(file);
        }
    }

    fn entry(&self, ino: u64) -> Result<&Entry, Error> {
        ino.checked_sub(2)
            .and_then(|i| self.entries.get(i as usize))
            .ok_or(Error::NotFound)
    }
}

impl FileSystem for Fat {
    fn root(&self) -> u64 {
        ROOT
    }

    fn lookup(&mut self, dir: u64, name: &str) -> Result<u64, Error> {
        if dir != ROOT {
            return Err(Error::NotFound);
        }
        let i = self
            .entries
            .iter()
            .position(|e| e.name == name || e.name.eq_ignore_ascii_case(name));
        i.map(|i| i as u64 + 2).ok_or(Error::NotFound)
    }

    fn stat(&mut self, ino: u64) -> Result<Stat, Error> {
        let (size, is_dir, mtime) = if ino == ROOT {
            (0, true, 0)
        } else {
            let e = self.entry(ino)?;
            (e.size as u64, e.dir, e.mtime)
        };
        Ok(Stat {
            ino,
            size,
            blocks: size.div_ceil(SECTOR_SIZE as u64),
            mode: if is_dir { 0o555 } else { 0o444 },
            links: 1,
            kind: if is_dir { kind::DIRECTORY } else { kind::FILE },
            atime: mtime,
            mtime,
            ctime: mtime,
            ..Stat::default()
        })
    }

    fn read(&mut self, ino: u64, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let e = self.entry(ino)?;
        if e.dir {
            return Err(Error::IsADirectory);
        }
        if offset >= e.size as u64 || buf.is_empty() {
            return Ok(0);
        }
        let short = e.short;
        let file = self.open_file(ino, short)?;
        // Seeking forward keeps the file's place in its cluster chain.
        let result = (|| {
            self.vm
                .file_seek_from_start(file, offset as u32)
                .map_err(io)?;
            let mut done = 0;
            while done < buf.len() {
                let n = self.vm.read(file, &mut buf[done..]).map_err(io)?;
                if n == 0 {
                    break;
                }
                done += n;
            }
            Ok(done)
        })();
        if result.is_err() {
            self.close_file(ino);
        }
        result
    }

    fn write(&mut self, _: u64, _: u64, _: &[u8]) -> Result<usize, Error> {
        Err(Error::ReadOnly)
    }
    fn truncate(&mut self, _: u64, _: u64) -> Result<(), Error> {
        Err(Error::ReadOnly)
    }
    fn create(&mut self, _: u64, _: &str, _: u32) -> Result<u64, Error> {
        Err(Error::ReadOnly)
    }
    fn mkdir(&mut self, _: u64, _: &str, _: u32) -> Result<u64, Error> {
        Err(Error::ReadOnly)
    }
    fn unlink(&mut self, _: u64, _: &str) -> Result<(), Error> {
        Err(Error::ReadOnly)
    }
    fn rmdir(&mut self, _: u64, _: &str) -> Result<(), Error> {
        Err(Error::ReadOnly)
    }
    fn rename(&mut self, _: u64, _: &str, _: u64, _: &str) -> Result<(), Error> {
        Err(Error::ReadOnly)
    }
    fn link(&mut self, _: u64, _: u64, _: &str) -> Result<(), Error> {
        Err(Error::ReadOnly)
    }
    fn symlink(&mut self, _: u64, _: &str, _: &str) -> Result<u64, Error> {
        Err(Error::ReadOnly)
    }
    fn readlink(&mut self, _: u64) -> Result<Vec<u8>, Error> {
        Err(Error::InvalidArgument)
    }

    fn readdir(&mut self, dir: u64, cookie: u64) -> Result<Option<(Dirent, u64)>, Error> {
        if dir != ROOT {
            return Err(Error::NotADirectory);
        }
        let dot = |name: &str| Dirent {
            ino: ROOT,
            kind: kind::DIRECTORY,
            name: name.as_bytes().to_vec(),
        };
        Ok(match cookie {
            0 => Some((dot("."), 1)),
            1 => Some((dot(".."), 2)),
            c => self.entries.get(c as usize - 2).map(|e| {
                let k = if e.dir { kind::DIRECTORY } else { kind::FILE };
                (
                    Dirent {
                        ino: c,
                        kind: k,
                        name: e.name.as_bytes().to_vec(),
                    },
                    c + 1,
                )
            }),
        })
    }

    fn sync(&mut self) -> Result<(), Error> {
        Ok(())
    }

    fn statfs(&mut self) -> FsStat {
        let used: u64 = self
            .entries
            .iter()
            .map(|e| (e.size as u64).div_ceil(512))
            .sum();
        FsStat {
            block_size: 512,
            blocks: used,
            free_blocks: 0,
            inodes: self.entries.len() as u64,
            free_inodes: 0,
        }
    }
}

//! Files and directories with a std-like feel: [`File`], [`read`],
//! [`write`], [`read_dir`], [`metadata`], [`create_dir`], ... Paths are
//! absolute or relative to the working directory ([`set_current_dir`]).

use crate::syscall::call;
use crate::Error;
use abi::fs::{open, whence, DirentHeader, FsStat, Stat};
use abi::sys;
use alloc::string::String;
use alloc::vec::Vec;

pub use abi::fs::kind;

/// An open file or directory; closed when dropped.
pub struct File {
    handle: u32,
}

/// Where `seek` measures from.
#[derive(Clone, Copy, Debug)]
pub enum SeekFrom {
    Start(u64),
    Current(i64),
    End(i64),
}

fn path_args(path: &str) -> [u64; 2] {
    [path.as_ptr() as u64, path.len() as u64]
}

impl File {
    /// Open with `abi::fs::open` flags; `mode` is used when creating.
    pub fn open_with(path: &str, flags: u64, mode: u32) -> Result<File, Error> {
        let [p, l] = path_args(path);
        let r = call(sys::OPEN, [p, l, flags, mode as u64, 0, 0])?;
        Ok(File {
            handle: r[0] as u32,
        })
    }

    /// Open an existing file for reading.
    pub fn open(path: &str) -> Result<File, Error> {
        Self::open_with(path, open::READ, 0)
    }

    /// Create (or truncate) a file for writing.
    pub fn create(path: &str) -> Result<File, Error> {
        Self::open_with(path, open::WRITE | open::CREATE | open::TRUNCATE, 0o644)
    }

    /// The handle (e.g. to pass as a child's stdout). The file stays open
    /// until this `File` is dropped, unless [`File::into_handle`] is used.
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// Give up ownership of the handle (it is not closed on drop).
    pub fn into_handle(self) -> u32 {
        let h = self.handle;
        core::mem::forget(self);
        h
    }

    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        crate::sys::io_read(self.handle, buf)
    }

    pub fn write(&mut self, data: &[u8]) -> Result<usize, Error> {
        crate::sys::io_write(self.handle, data)
    }

    pub fn write_all(&mut self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let n = self.write(data)?;
            if n == 0 {
                return Err(Error::NoSpace);
            }
            data = &data[n..];
        }
        Ok(())
    }

    pub fn read_to_end(&mut self, out: &mut Vec<u8>) -> Result<usize, Error> {
        let start = out.len();
        let mut buf = [0u8; 4096];
        loop {
            let n = self.read(&mut buf)?;
            if n == 0 {
                return Ok(out.len() - start);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    pub fn seek(&mut self, pos: SeekFrom) -> Result<u64, Error> {
        let (off, wh) = match pos {
            SeekFrom::Start(o) => (o as i64, whence::SET),
            SeekFrom::Current(o) => (o, whence::CURRENT),
            SeekFrom::End(o) => (o, whence::END),
        };
        call(sys::SEEK, [self.handle as u64, off as u64, wh, 0, 0, 0]).map(|r| r[0])
    }

    pub fn metadata(&self) -> Result<Stat, Error> {
        let mut st = Stat::default();
        let size = core::mem::size_of::<Stat>() as u64;
        call(
            sys::FSTAT,
            [
                self.handle as u64,
                &mut st as *mut Stat as u64,
                size,
                0,
                0,
                0,
            ],
        )?;
        Ok(st)
    }

    pub fn set_len(&mut self, size: u64) -> Result<(), Error> {
        call(sys::FTRUNCATE, [self.handle as u64, size, 0, 0, 0, 0]).map(|_| ())
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = crate::sys::handle_close(self.handle);
    }
}

/// The whole contents of a file.
pub fn read(path: &str) -> Result<Vec<u8>, Error> {
    let mut v = Vec::new();
    File::open(path)?.read_to_end(&mut v)?;
    Ok(v)
}

/// The whole contents of a file as text (lossy for invalid UTF-8).
pub fn read_to_string(path: &str) -> Result<String, Error> {
    Ok(String::from_utf8_lossy(&read(path)?).into_owned())
}

/// Replace a file's contents (creating it).
pub fn write(path: &str, data: &[u8]) -> Result<(), Error> {
    File::create(path)?.write_all(data)
}

fn stat_impl(path: &str, follow: bool) -> Result<Stat, Error> {
    let [p, l] = path_args(path);
    let mut st = Stat::default();
    let size = core::mem::size_of::<Stat>() as u64;
    call(
        sys::STAT,
        [p, l, &mut st as *mut Stat as u64, size, follow as u64, 0],
    )?;
    Ok(st)
}

/// Information about a file, following symbolic links.
pub fn metadata(path: &str) -> Result<Stat, Error> {
    stat_impl(path, true)
}

/// Information about a file or the symbolic link itself.
pub fn symlink_metadata(path: &str) -> Result<Stat, Error> {
    stat_impl(path, false)
}

fn path_call(nr: u64, path: &str, extra: u64) -> Result<(), Error> {
    let [p, l] = path_args(path);
    call(nr, [p, l, extra, 0, 0, 0]).map(|_| ())
}

fn two_path_call(nr: u64, a: &str, b: &str) -> Result<(), Error> {
    let [ap, al] = path_args(a);
    let [bp, bl] = path_args(b);
    call(nr, [ap, al, bp, bl, 0, 0]).map(|_| ())
}

pub fn create_dir(path: &str) -> Result<(), Error> {
    path_call(sys::MKDIR, path, 0o755)
}

pub fn remove_file(path: &str) -> Result<(), Error> {
    path_call(sys::UNLINK, path, 0)
}

pub fn remove_dir(path: &str) -> Result<(), Error> {
    path_call(sys::RMDIR, path, 0)
}

pub fn rename(from: &str, to: &str) -> Result<(), Error> {
    two_path_call(sys::RENAME, from, to)
}

/// A new name `link` for the file at `original`.
pub fn hard_link(original: &str, link: &str) -> Result<(), Error> {
    two_path_call(sys::LINK, original, link)
}

/// A symbolic link at `link` pointing to `target`.
pub fn soft_link(target: &str, link: &str) -> Result<(), Error> {
    two_path_call(sys::SYMLINK, target, link)
}

pub fn read_link(path: &str) -> Result<String, Error> {
    let [p, l] = path_args(path);
    let mut buf = alloc::vec![0u8; abi::fs::MAX_PATH];
    let n = call(
        sys::READLINK,
        [p, l, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0],
    )?[0] as usize;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Write every file system's changes to disk.
pub fn sync() -> Result<(), Error> {
    call(sys::SYNC, [0; 6]).map(|_| ())
}

/// Sizes and free space of the file system holding `path`.
pub fn statfs(path: &str) -> Result<FsStat, Error> {
    let [p, l] = path_args(path);
    let mut st = FsStat::default();
    let size = core::mem::size_of::<FsStat>() as u64;
    call(
        sys::STATFS,
        [p, l, &mut st as *mut FsStat as u64, size, 0, 0],
    )?;
    Ok(st)
}

pub fn set_current_dir(path: &str) -> Result<(), Error> {
    path_call(sys::CHDIR, path, 0)
}

pub fn current_dir() -> Result<String, Error> {
    let mut buf = alloc::vec![0u8; abi::fs::MAX_PATH];
    let n = call(
        sys::GETCWD,
        [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0],
    )?[0] as usize;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The mount table, one line per mount: "<dir> <device> <type>".
pub fn mounts() -> Result<String, Error> {
    let mut buf = alloc::vec![0u8; 4096];
    let n = call(
        sys::MOUNTS,
        [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0],
    )?[0] as usize;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// One entry of a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub ino: u64,
    /// One of [`kind`].
    pub kind: u8,
}

/// Every entry of the directory at `path` (including "." and "..").
pub fn read_dir(path: &str) -> Result<Vec<DirEntry>, Error> {
    let dir = File::open_with(path, open::READ | open::DIRECTORY, 0)?;
    let mut out = Vec::new();
    let mut buf = alloc::vec![0u8; 4096];
    loop {
        let n = call(
            sys::READDIR,
            [
                dir.handle as u64,
                buf.as_mut_ptr() as u64,
                buf.len() as u64,
                0,
                0,
                0,
            ],
        )?[0] as usize;
        if n == 0 {
            return Ok(out);
        }
        let mut at = 0;
        let header = core::mem::size_of::<DirentHeader>();
        while at + header <= n {
            let b = &buf[at..];
            let ino = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
            let reclen = u16::from_le_bytes([b[8], b[9]]) as usize;
            let name_len = u16::from_le_bytes([b[10], b[11]]) as usize;
            let kind = b[12];
            if reclen < header || at + reclen > n || header + name_len > reclen {
                return Err(Error::Corrupt);
            }
            let name = String::from_utf8_lossy(&b[header..header + name_len]).into_owned();
            out.push(DirEntry { name, ino, kind });
            at += reclen;
        }
    }
}

//! The file-system layer: a mount table of file systems behind one
//! [`FileSystem`] trait, path walking (symbolic links, mount points), and
//! open files, which are kernel objects reached through handles.
//!
//! Everything runs under one lock: the kernel is non-preemptive and block
//! I/O waits for its completion interrupt in `wfi` without switching
//! processes, so an operation runs to completion before any other process
//! enters.

pub mod ext2fs;
pub mod fat;
pub mod file;

use abi::fs::{FsStat, Stat};
use abi::Error;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use klib::path;
use spin::Mutex;

/// A directory entry as a file system reports it.
pub struct Dirent {
    pub ino: u64,
    pub kind: u8,
    pub name: Vec<u8>,
}

/// What the kernel needs from a file system. Inode numbers are the file
/// system's own; names are single path components.
pub trait FileSystem: Send {
    fn root(&self) -> u64;
    fn lookup(&mut self, dir: u64, name: &str) -> Result<u64, Error>;
    /// `lookup`, with the kind (`abi::fs::kind`) of what was found.
    fn lookup_kind(&mut self, dir: u64, name: &str) -> Result<(u64, u8), Error> {
        let ino = self.lookup(dir, name)?;
        Ok((ino, self.stat(ino)?.kind))
    }
    fn stat(&mut self, ino: u64) -> Result<Stat, Error>;
    fn read(&mut self, ino: u64, offset: u64, buf: &mut [u8]) -> Result<usize, Error>;
    /// Read up to `len` bytes at `offset`, handing them to `sink` piece by
    /// piece (it returns `false` to stop); the bytes handed over. File
    /// systems that can do it without a copy override this default, which
    /// reads through a buffer.
    fn read_with(
        &mut self,
        ino: u64,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<usize, Error> {
        let mut buf = alloc::vec![0u8; len.min(64 * 1024)];
        let mut done = 0;
        while done < len {
            let want = (len - done).min(buf.len());
            let n = self.read(ino, offset + done as u64, &mut buf[..want])?;
            if n == 0 {
                break;
            }
            if !sink(&buf[..n]) {
                break;
            }
            done += n;
        }
        Ok(done)
    }
    fn write(&mut self, ino: u64, offset: u64, data: &[u8]) -> Result<usize, Error>;
    fn truncate(&mut self, ino: u64, size: u64) -> Result<(), Error>;
    fn create(&mut self, dir: u64, name: &str, mode: u32) -> Result<u64, Error>;
    fn mkdir(&mut self, dir: u64, name: &str, mode: u32) -> Result<u64, Error>;
    fn unlink(&mut self, dir: u64, name: &str) -> Result<(), Error>;
    fn rmdir(&mut self, dir: u64, name: &str) -> Result<(), Error>;
    fn rename(&mut self, from_dir: u64, from: &str, to_dir: u64, to: &str) -> Result<(), Error>;
    fn link(&mut self, ino: u64, dir: u64, name: &str) -> Result<(), Error>;
    fn symlink(&mut self, dir: u64, name: &str, target: &str) -> Result<u64, Error>;
    fn readlink(&mut self, ino: u64) -> Result<Vec<u8>, Error>;
    /// The entry at `cookie` (0 = first) and the cookie of the next one.
    fn readdir(&mut self, dir: u64, cookie: u64) -> Result<Option<(Dirent, u64)>, Error>;
    fn sync(&mut self) -> Result<(), Error>;
    fn statfs(&mut self) -> FsStat;
    /// Write back and forget cached data (tests measure memory with it).
    fn drop_caches(&mut self) -> Result<(), Error> {
        self.sync()
    }
    /// `ino` is open: keep it (contents and all) if its last name goes,
    /// until the matching [`FileSystem::unpin`].
    fn pin(&mut self, _ino: u64) {}
    /// One open of `ino` ended; with the last, free it if it has no names.
    fn unpin(&mut self, _ino: u64) -> Result<(), Error> {
        Ok(())
    }
    /// Free every open but nameless inode (before powering off).
    fn release_unlinked(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

/// A file in the mounted tree: (mount index, inode number).
pub type Node = (usize, u64);

struct Mount {
    dir: String,
    device: &'static str,
    kind: &'static str,
    fs: Box<dyn FileSystem>,
    /// The directory this mount hides (None for the root).
    covers: Option<Node>,
}

static MOUNTS: Mutex<Vec<Mount>> = Mutex::new(Vec::new());

/// Symbolic links followed in one path walk before giving up.
const MAX_SYMLINKS: usize = 8;

fn path_error(e: path::PathError) -> Error {
    match e {
        path::PathError::Empty => Error::NotFound,
        path::PathError::TooLong => Error::NameTooLong,
    }
}

/// Make `path` absolute against `cwd`, normalised.
pub fn absolute(cwd: &str, path: &str) -> Result<String, Error> {
    path::absolute(cwd, path).map_err(path_error)
}

/// Mount `fs` at `dir` (an existing directory, or "/" for the first mount).
pub fn mount(
    dir: &str,
    device: &'static str,
    kind: &'static str,
    fs: Box<dyn FileSystem>,
) -> Result<(), Error> {
    let mut mounts = MOUNTS.lock();
    let covers = if mounts.is_empty() {
        if dir != "/" {
            return Err(Error::InvalidArgument);
        }
        None
    } else {
        let node = walk(&mut mounts, dir, true)?;
        if stat_node(&mut mounts, node)?.kind != abi::fs::kind::DIRECTORY {
            return Err(Error::NotADirectory);
        }
        Some(node)
    };
    mounts.push(Mount {
        dir: dir.to_string(),
        device,
        kind,
        fs,
        covers,
    });
    Ok(())
}

/// Whether anything is mounted at "/".
pub fn has_root() -> bool {
    !MOUNTS.lock().is_empty()
}

/// The mount table, one line per mount: "<dir> <device> <type>".
pub fn mount_table() -> String {
    let mut out = String::new();
    for m in MOUNTS.lock().iter() {
        out.push_str(&alloc::format!("{} {} {}\n", m.dir, m.device, m.kind));
    }
    out
}

fn stat_node(mounts: &mut [Mount], (m, ino): Node) -> Result<Stat, Error> {
    mounts[m].fs.stat(ino)
}

/// Follow a mount point down to the mounted root.
fn enter_mounts(mounts: &[Mount], mut node: Node) -> Node {
    while let Some(i) = mounts.iter().position(|m| m.covers == Some(node)) {
        node = (i, mounts[i].fs.root());
    }
    node
}

/// Resolve an absolute normalised path to a node, following symbolic
/// links on the way (and at the end if `follow`).
fn walk(mounts: &mut [Mount], path: &str, follow: bool) -> Result<Node, Error> {
    walk_kind(mounts, path, follow).map(|(node, _)| node)
}

/// [`walk`], also giving the kind of the node (`abi::fs::kind`). The kinds
/// come from the lookups (a directory entry's type on ext2), so no inode is
/// read on the way but the directories searched.
fn walk_kind(mounts: &mut [Mount], path: &str, follow: bool) -> Result<(Node, u8), Error> {
    if mounts.is_empty() {
        return Err(Error::NotFound);
    }
    // Only a symbolic link makes a new path.
    let mut spliced: Option<String> = None;
    let mut links = 0;
    'restart: loop {
        let path = spliced.as_deref().unwrap_or(path);
        let mut node = enter_mounts(mounts, (0, mounts[0].fs.root()));
        let mut kind = abi::fs::kind::DIRECTORY;
        let mut pos = 0;
        loop {
            let Some(start) = path[pos..].find(|c| c != '/').map(|i| pos + i) else {
                return Ok((node, kind));
            };
            let end = path[start..].find('/').map_or(path.len(), |i| start + i);
            pos = end;
            if kind != abi::fs::kind::DIRECTORY {
                return Err(Error::NotADirectory);
            }
            let (m, dir) = node;
            let (found, mut child_kind) = mounts[m].fs.lookup_kind(dir, &path[start..end])?;
            let child = enter_mounts(mounts, (m, found));
            if child != (m, found) {
                // A mounted file system's root.
                child_kind = abi::fs::kind::DIRECTORY;
            }
            let last = !path[end..].contains(|c| c != '/');
            if (!last || follow) && child_kind == abi::fs::kind::SYMLINK {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::Loop);
                }
                let target = mounts[child.0].fs.readlink(child.1)?;
                let target = core::str::from_utf8(&target).map_err(|_| Error::Corrupt)?;
                let base = match path[..start].trim_end_matches('/') {
                    "" => "/",
                    b => b,
                };
                let rest = path[end..].trim_start_matches('/');
                let joined = alloc::format!("{target}/{rest}");
                spliced = Some(absolute(base, &joined)?);
                continue 'restart;
            }
            node = child;
            kind = child_kind;
        }
    }
}

/// Run `f` with the mount table locked.
fn with_mounts<R>(f: impl FnOnce(&mut Vec<Mount>) -> Result<R, Error>) -> Result<R, Error> {
    let mut mounts = MOUNTS.lock();
    f(&mut mounts)
}

/// The node `path` names.
pub fn lookup(path: &str, follow: bool) -> Result<Node, Error> {
    with_mounts(|m| walk(m, path, follow))
}

/// The parent directory node and the final name of `path`.
fn parent_of<'p>(mounts: &mut [Mount], path: &'p str) -> Result<(Node, &'p str), Error> {
    let (parent, name) = path::split_last(path).ok_or(Error::AlreadyExists)?;
    let (dir, kind) = walk_kind(mounts, parent, true)?;
    if kind != abi::fs::kind::DIRECTORY {
        return Err(Error::NotADirectory);
    }
    Ok((dir, name))
}

pub fn stat(path: &str, follow: bool) -> Result<Stat, Error> {
    with_mounts(|m| {
        let node = walk(m, path, follow)?;
        stat_node(m, node)
    })
}

pub fn stat_of(node: Node) -> Result<Stat, Error> {
    with_mounts(|m| stat_node(m, node))
}

pub fn read(node: Node, offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
    with_mounts(|m| m[node.0].fs.read(node.1, offset, buf))
}

/// Read up to `len` bytes of `node` at `offset` into `sink` (see
/// [`FileSystem::read_with`]).
pub fn read_with(
    node: Node,
    offset: u64,
    len: usize,
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<usize, Error> {
    with_mounts(|m| m[node.0].fs.read_with(node.1, offset, len, sink))
}

pub fn write(node: Node, offset: u64, data: &[u8]) -> Result<usize, Error> {
    with_mounts(|m| m[node.0].fs.write(node.1, offset, data))
}

pub fn truncate(node: Node, size: u64) -> Result<(), Error> {
    with_mounts(|m| m[node.0].fs.truncate(node.1, size))
}

pub fn readdir(node: Node, cookie: u64) -> Result<Option<(Dirent, u64)>, Error> {
    with_mounts(|m| m[node.0].fs.readdir(node.1, cookie))
}

/// Open (optionally creating) the file at `path`.
pub fn open_node(path: &str, create: bool, exclusive: bool, mode: u32) -> Result<Node, Error> {
    if create && exclusive {
        // The file system's create fails with AlreadyExists when the name
        // is taken (whatever it names: a dangling link, a mount point), so
        // no separate lookup is needed.
        return with_mounts(|m| {
            let ((mi, dir), name) = parent_of(m, path)?;
            match m[mi].fs.create(dir, name, mode) {
                Ok(ino) => Ok((mi, ino)),
                // As on Linux, an existing name wins over a read-only
                // file system.
                Err(Error::ReadOnly) if m[mi].fs.lookup(dir, name).is_ok() => {
                    Err(Error::AlreadyExists)
                }
                Err(e) => Err(e),
            }
        });
    }
    with_mounts(|m| match walk(m, path, true) {
        Ok(node) => Ok(node),
        Err(Error::NotFound) if create => {
            let ((mi, dir), name) = parent_of(m, path)?;
            let ino = m[mi].fs.create(dir, name, mode)?;
            Ok((mi, ino))
        }
        Err(e) => Err(e),
    })
}

pub fn mkdir(path: &str, mode: u32) -> Result<(), Error> {
    with_mounts(|m| {
        let ((mi, dir), name) = parent_of(m, path)?;
        m[mi].fs.mkdir(dir, name, mode).map(|_| ())
    })
}

/// A node covered by or serving as a mount cannot be removed or renamed.
fn check_not_mount(mounts: &[Mount], node: Node) -> Result<(), Error> {
    if mounts.iter().any(|mt| mt.covers == Some(node)) || (node.1 == mounts[node.0].fs.root()) {
        return Err(Error::AccessDenied);
    }
    Ok(())
}

pub fn unlink(path: &str) -> Result<(), Error> {
    with_mounts(|m| {
        let ((mi, dir), name) = parent_of(m, path)?;
        m[mi].fs.unlink(dir, name)
    })
}

pub fn rmdir(path: &str) -> Result<(), Error> {
    with_mounts(|m| {
        let node = walk(m, path, false)?;
        check_not_mount(m, node)?;
        let ((mi, dir), name) = parent_of(m, path)?;
        m[mi].fs.rmdir(dir, name)
    })
}

pub fn rename(from: &str, to: &str) -> Result<(), Error> {
    with_mounts(|m| {
        let node = walk(m, from, false)?;
        check_not_mount(m, node)?;
        let ((fm, fdir), fname) = parent_of(m, from)?;
        let ((tm, tdir), tname) = parent_of(m, to)?;
        if fm != tm {
            return Err(Error::CrossDevice);
        }
        m[fm].fs.rename(fdir, fname, tdir, tname)
    })
}

pub fn link(existing: &str, new: &str) -> Result<(), Error> {
    with_mounts(|m| {
        let (em, ino) = walk(m, existing, false)?;
        let ((nm, dir), name) = parent_of(m, new)?;
        if em != nm {
            return Err(Error::CrossDevice);
        }
        m[nm].fs.link(ino, dir, name)
    })
}

pub fn symlink(target: &str, path: &str) -> Result<(), Error> {
    with_mounts(|m| {
        let ((mi, dir), name) = parent_of(m, path)?;
        m[mi].fs.symlink(dir, name, target).map(|_| ())
    })
}

pub fn readlink(path: &str) -> Result<Vec<u8>, Error> {
    with_mounts(|m| {
        let (mi, ino) = walk(m, path, false)?;
        m[mi].fs.readlink(ino)
    })
}

pub fn statfs(path: &str) -> Result<FsStat, Error> {
    with_mounts(|m| {
        let (mi, _) = walk(m, path, true)?;
        Ok(m[mi].fs.statfs())
    })
}

/// Node `node` is open (an [`file::OpenFile`] exists for it): if its last
/// name goes, it lives on until [`unpin`].
pub fn pin((m, ino): Node) {
    if let Some(mt) = MOUNTS.lock().get_mut(m) {
        mt.fs.pin(ino);
    }
}

/// An open of `node` ended: free it now if it has no names left and no
/// other open.
pub fn unpin((m, ino): Node) -> Result<(), Error> {
    match MOUNTS.lock().get_mut(m) {
        Some(mt) => mt.fs.unpin(ino),
        None => Ok(()),
    }
}

/// Before powering off: free open files that have no names any more (their
/// holders are about to go), then write everything back.
pub fn shutdown() -> Result<(), Error> {
    let mut first_error = Ok(());
    for mt in MOUNTS.lock().iter_mut() {
        if let Err(e) = mt.fs.release_unlinked() {
            first_error = first_error.and(Err(e));
        }
    }
    first_error.and(sync_all())
}

/// Write every file system's dirty data to its disk.
pub fn sync_all() -> Result<(), Error> {
    let mut first_error = Ok(());
    for mt in MOUNTS.lock().iter_mut() {
        if let Err(e) = mt.fs.sync() {
            first_error = first_error.and(Err(e));
        }
    }
    first_error
}

/// Empty every file system's caches (after writing them back).
pub fn drop_caches() -> Result<(), Error> {
    for mt in MOUNTS.lock().iter_mut() {
        mt.fs.drop_caches()?;
    }
    Ok(())
}

/// A file's contents in a 64-byte aligned buffer, so that copies out of
/// it (an ELF loader filling pages) take `memcpy`'s aligned fast path.
pub struct FileData {
    ptr: core::ptr::NonNull<u8>,
    len: usize,
    cap: usize,
}

// SAFETY: FileData owns its buffer exclusively, like a `Vec<u8>`.
unsafe impl Send for FileData {}

impl FileData {
    const ALIGN: usize = 64;

    /// An empty buffer with room for `cap` bytes.
    fn with_capacity(cap: usize) -> Result<Self, Error> {
        let layout = core::alloc::Layout::from_size_align(cap.max(1), Self::ALIGN)
            .map_err(|_| Error::OutOfMemory)?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc::alloc(layout) };
        let ptr = core::ptr::NonNull::new(ptr).ok_or(Error::OutOfMemory)?;
        Ok(FileData { ptr, len: 0, cap })
    }

    /// Append `bytes`; false (and nothing appended) if there is no room.
    fn push(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > self.cap - self.len {
            return false;
        }
        // SAFETY: room checked above; the source is a different object.
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.ptr.as_ptr().add(self.len),
                bytes.len(),
            )
        };
        self.len += bytes.len();
        true
    }
}

impl core::ops::Deref for FileData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes are initialised.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for FileData {
    fn drop(&mut self) {
        // SAFETY: allocated in `with_capacity` with this layout.
        unsafe {
            alloc::alloc::dealloc(
                self.ptr.as_ptr(),
                core::alloc::Layout::from_size_align_unchecked(self.cap.max(1), Self::ALIGN),
            )
        };
    }
}

/// The whole file at `path` (programs for `spawn`), at most `max` bytes.
pub fn read_all(path: &str, max: usize) -> Result<FileData, Error> {
    let node = lookup(path, true)?;
    let st = stat_of(node)?;
    if st.kind != abi::fs::kind::FILE {
        return Err(Error::IsADirectory);
    }
    let size = usize::try_from(st.size).map_err(|_| Error::QuotaExceeded)?;
    if size > max {
        return Err(Error::QuotaExceeded);
    }
    // Fallible: a big file is an error for the caller, not a kernel panic.
    let mut data = FileData::with_capacity(size)?;
    // Appended straight from the file system's buffers: no zero-fill.
    while data.len() < size {
        let n = read_with(node, data.len() as u64, size - data.len(), &mut |chunk| {
            data.push(chunk)
        })?;
        if n == 0 {
            return Err(Error::IoError);
        }
    }
    Ok(data)
}

/// Mount what the disks hold: the first disk's Linux partition (or the
/// whole disk) at "/", its FAT boot partition (a Pi SD card) read-only at
/// "/boot", and a second disk's ext2 at "/mnt". Problems are reported and
/// leave the system running on the boot archive.
pub fn mount_disks(disks: &[&'static dyn bsp_api::BlockDevice]) {
    for (i, disk) in disks.iter().enumerate().take(2) {
        let dir = if i == 0 { "/" } else { "/mnt" };
        let (first, count) = match crate::block::partitions(*disk) {
            Some(parts) => match parts
                .iter()
                .flatten()
                .find(|p| p.kind == klib::mbr::TYPE_LINUX)
            {
                Some(p) => (p.first_sector, p.sectors),
                None => (0, disk.sectors()),
            },
            None => (0, disk.sectors()),
        };
        let result = ext2fs::Ext2::mount(*disk, first, count)
            .and_then(|fs| mount(dir, disk.name(), "ext2", Box::new(fs)));
        match result {
            Ok(()) => crate::println!("[fs] {} mounted at {dir} (ext2)", disk.name()),
            Err(e) => {
                crate::println!("[fs] {}: cannot mount at {dir}: {e}", disk.name());
                if i == 0 {
                    return;
                }
            }
        }
        let boot = crate::block::partitions(*disk).is_some_and(|parts| {
            parts.iter().flatten().any(|p| {
                matches!(
                    p.kind,
                    klib::mbr::TYPE_FAT32_LBA | klib::mbr::TYPE_FAT32 | klib::mbr::TYPE_FAT16_LBA
                )
            })
        });
        if i == 0 && boot {
            match fat::Fat::mount(*disk)
                .and_then(|fs| mount("/boot", disk.name(), "vfat", Box::new(fs)))
            {
                Ok(()) => crate::println!(
                    "[fs] {} boot partition mounted at /boot (vfat, read-only)",
                    disk.name()
                ),
                Err(e) => crate::println!(
                    "[fs] {}: cannot mount the boot partition at /boot: {e}",
                    disk.name()
                ),
            }
        }
    }
}

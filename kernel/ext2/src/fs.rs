//! The mounted filesystem: mounting, inode I/O, attributes, `statfs` and
//! `sync`.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::cache::Cache;
use crate::device::BlockDevice;
use crate::dindex::DirIndexes;
use crate::error::{Error, Result};
use crate::group::GroupDesc;
use crate::inode::{FileKind, Ino, Inode, Stat, ROOT_INO, S_IFMT};
use crate::superblock::{feature, Superblock, DESC_SIZE, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// How to mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountOptions {
    /// Refuse every modification.
    pub read_only: bool,
    /// The block cache's size in bytes (at least 16 blocks).
    pub cache_bytes: usize,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions {
            read_only: false,
            cache_bytes: 1 << 20,
        }
    }
}

/// Filesystem-wide figures, as `statfs` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFs {
    /// Block size in bytes.
    pub block_size: u32,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Total inodes.
    pub inodes: u32,
    /// Free inodes.
    pub free_inodes: u32,
    /// Longest name, in bytes.
    pub name_max: u32,
    /// Whether the filesystem is mounted read-only.
    pub read_only: bool,
}

/// Attributes to change with [`Fs::setattr`]; `None` leaves a field alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits (`& 0o7777`; the file type is kept).
    pub perm: Option<u16>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New access time.
    pub atime: Option<u32>,
    /// New modification time.
    pub mtime: Option<u32>,
}

/// Where the current time comes from.
#[derive(Debug, Clone, Copy)]
enum Clock {
    Fixed(u32),
    Func(fn() -> u32),
}

/// A mounted ext2 filesystem on a block device `D`.
///
/// Changes live in memory until [`Fs::sync`] (or [`Fs::unmount`]) or
/// until background write-back takes them; dropping an `Fs` without
/// syncing loses the rest (and with a device that overlaps transfers,
/// leaves its writes in flight for the device to finish).
pub struct Fs<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) cache: Cache,
    pub(crate) sb: Superblock,
    pub(crate) groups: Vec<GroupDesc>,
    /// The raw group descriptor table (written back per dirty block).
    gdt_raw: Vec<u8>,
    gdt_dirty: Vec<bool>,
    sb_dirty: bool,
    read_only: bool,
    clock: Clock,
    pub(crate) next_generation: u32,
    /// Name indexes of the directories in use (see `dindex`).
    pub(crate) dindex: DirIndexes,
    /// Inodes the caller holds open ([`Fs::pin`]), with their counts. A
    /// pinned inode whose last link goes keeps its contents until unpinned.
    pub(crate) pins: BTreeMap<Ino, u32>,
    /// Bumped by every change to any directory's entries.
    pub(crate) dir_changes: u64,
    /// Where the last `readdir` stopped: (directory, cookie it returned,
    /// `dir_changes` then). A call continuing from there starts at that
    /// entry instead of re-parsing its block from the start.
    pub(crate) readdir_at: Option<(Ino, u64, u64)>,
}

impl<D: BlockDevice> core::fmt::Debug for Fs<D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fs")
            .field("block_size", &self.sb.block_size)
            .field("blocks", &self.sb.blocks_count)
            .field("inodes", &self.sb.inodes_count)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl<D: BlockDevice> Fs<D> {
    /// Mount read-write with default options (read-only if the
    /// filesystem has unknown ro_compat features).
    pub fn mount(dev: D) -> Result<Self> {
        Self::mount_with(dev, MountOptions::default())
    }

    /// Mount with `opts`. Validates the superblock, the feature flags and
    /// every group descriptor, and checks that the root is a directory.
    pub fn mount_with(mut dev: D, opts: MountOptions) -> Result<Self> {
        let size = dev.size();
        if size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE as u64 {
            return Err(Error::Corrupt("device too small for a superblock"));
        }
        let mut raw = vec![0u8; SUPERBLOCK_SIZE];
        dev.read_at(SUPERBLOCK_OFFSET, &mut raw)?;
        let sb = Superblock::parse(raw)?;
        let bs = u64::from(sb.block_size);
        if u64::from(sb.blocks_count) * bs > size {
            return Err(Error::Corrupt("device smaller than the filesystem"));
        }
        let mut gdt_raw = vec![0u8; sb.gdt_blocks as usize * bs as usize];
        dev.read_at((u64::from(sb.first_data_block) + 1) * bs, &mut gdt_raw)?;
        let mut groups = Vec::with_capacity(sb.groups as usize);
        let (mut free_blocks, mut free_inodes) = (0u64, 0u64);
        for g in 0..sb.groups {
            let off = g as usize * DESC_SIZE as usize;
            let gd = GroupDesc::parse(&gdt_raw[off..off + DESC_SIZE as usize]);
            // Past the superblock and the descriptor table, inside the fs.
            let in_fs = |b: u32| b > sb.first_data_block + sb.gdt_blocks && b < sb.blocks_count;
            if !in_fs(gd.block_bitmap) || !in_fs(gd.inode_bitmap) || !in_fs(gd.inode_table) {
                return Err(Error::Corrupt("group metadata beyond the end"));
            }
            if u64::from(gd.inode_table) + u64::from(sb.itable_blocks) > u64::from(sb.blocks_count)
            {
                return Err(Error::Corrupt("inode table beyond the end"));
            }
            if gd.free_blocks > sb.group_blocks(g)
                || gd.free_inodes > sb.inodes_per_group
                || gd.used_dirs > sb.inodes_per_group
            {
                return Err(Error::Corrupt("group counts out of range"));
            }
            free_blocks += u64::from(gd.free_blocks);
            free_inodes += u64::from(gd.free_inodes);
            groups.push(gd);
        }
        let read_only = opts.read_only || sb.ro_compat & !feature::RO_COMPAT_SUPPORTED != 0;
        // Like Linux, trust the group counts over the superblock's totals.
        let mut sb = sb;
        let sums = (free_blocks as u32, free_inodes as u32);
        let sb_dirty = !read_only && sums != (sb.free_blocks, sb.free_inodes);
        if sb_dirty {
            (sb.free_blocks, sb.free_inodes) = sums;
        }
        let mut fs = Fs {
            dev,
            cache: Cache::new(sb.block_size, opts.cache_bytes / sb.block_size as usize),
            gdt_dirty: vec![false; sb.gdt_blocks as usize],
            sb,
            groups,
            gdt_raw,
            sb_dirty,
            read_only,
            clock: Clock::Fixed(0),
            next_generation: 1,
            dindex: DirIndexes::default(),
            pins: BTreeMap::new(),
            dir_changes: 0,
            readdir_at: None,
        };
        if fs.read_inode(ROOT_INO)?.kind() != FileKind::Directory {
            return Err(Error::Corrupt("root is not a directory"));
        }
        Ok(fs)
    }

    /// Write everything back and hand the device back.
    pub fn unmount(mut self) -> Result<D> {
        self.release_unlinked()?;
        self.sync()?;
        self.cache.ra.settle(&mut self.dev);
        Ok(self.dev)
    }

    /// Hand the device back without writing anything more (unsynced
    /// changes are lost), once the writes in flight have ended.
    pub fn into_device(mut self) -> D {
        self.cache.settle(&mut self.dev);
        self.cache.ra.settle(&mut self.dev);
        self.dev
    }

    /// Write every dirty block, wait for every write in flight, write the
    /// changed group descriptors and the superblock, then flush the
    /// device. Fails with the error of any write that failed since the
    /// last `sync` (background ones included; each is reported once).
    pub fn sync(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.cache.flush(&mut self.dev)?;
        let bs = self.sb.block_size as usize;
        for i in 0..self.gdt_dirty.len() {
            if self.gdt_dirty[i] {
                let block = self.sb.first_data_block + 1 + i as u32;
                self.cache.ra.invalidate(block, 1);
                let off = u64::from(block) * bs as u64;
                self.dev
                    .write_at(off, &self.gdt_raw[i * bs..(i + 1) * bs])?;
                self.gdt_dirty[i] = false;
            }
        }
        if self.sb_dirty {
            let now = self.now();
            if now != 0 {
                self.sb.wtime = now;
            }
            self.cache.ra.invalidate(self.sb.first_data_block, 1);
            self.dev.write_at(SUPERBLOCK_OFFSET, self.sb.encode())?;
            self.sb_dirty = false;
        }
        self.dev.flush()?;
        Ok(())
    }

    /// Use a fixed time (seconds since the epoch) for new timestamps.
    pub fn set_time(&mut self, now: u32) {
        self.clock = Clock::Fixed(now);
    }

    /// Ask `clock` for the time whenever a timestamp is set.
    pub fn set_clock(&mut self, clock: fn() -> u32) {
        self.clock = Clock::Func(clock);
    }

    /// The current time for timestamps.
    pub(crate) fn now(&self) -> u32 {
        match self.clock {
            Clock::Fixed(t) => t,
            Clock::Func(f) => f(),
        }
    }

    /// Whether the filesystem refuses modifications.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The feature flags: (compat, incompat, ro_compat).
    pub fn features(&self) -> (u32, u32, u32) {
        (self.sb.compat, self.sb.incompat, self.sb.ro_compat)
    }

    /// The block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// The root directory.
    pub fn root(&self) -> Ino {
        ROOT_INO
    }

    /// Filesystem-wide counts.
    pub fn statfs(&self) -> StatFs {
        StatFs {
            block_size: self.sb.block_size,
            blocks: u64::from(self.sb.blocks_count),
            free_blocks: u64::from(self.sb.free_blocks),
            inodes: self.sb.inodes_count,
            free_inodes: self.sb.free_inodes,
            name_max: 255,
            read_only: self.read_only,
        }
    }

    /// The attributes of `ino`.
    pub fn stat(&mut self, ino: Ino) -> Result<Stat> {
        // Straight from the cached inode table block.
        let (block, off) = self.inode_pos(ino)?;
        let isz = self.sb.inode_size as usize;
        let data = self.cache.get(&mut self.dev, block)?;
        match Inode::raw_stat(&data[off..off + isz], ino) {
            Some(stat) => Ok(stat),
            // An open file whose last name is gone.
            None if self.pins.contains_key(&ino) => Ok(self.read_live_inode(ino)?.stat(ino)),
            None => Err(Error::NotFound),
        }
    }

    /// Change attributes of `ino`; sets its ctime. Returns the new
    /// attributes.
    pub fn setattr(&mut self, ino: Ino, attr: &SetAttr) -> Result<Stat> {
        self.check_writable()?;
        self.check_modifiable(ino)?;
        let mut inode = self.read_live_inode(ino)?;
        if let Some(p) = attr.perm {
            inode.mode = (inode.mode & S_IFMT) | (p & !S_IFMT);
        }
        if let Some(u) = attr.uid {
            inode.uid = u;
        }
        if let Some(g) = attr.gid {
            inode.gid = g;
        }
        if let Some(t) = attr.atime {
            inode.atime = t;
        }
        if let Some(t) = attr.mtime {
            inode.mtime = t;
        }
        inode.ctime = self.now();
        self.write_inode(ino, &inode)?;
        Ok(inode.stat(ino))
    }

    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.read_only {
            Err(Error::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Block and byte offset of inode `ino` in its inode table.
    fn inode_pos(&self, ino: Ino) -> Result<(u32, usize)> {
        if ino == 0 || ino > self.sb.inodes_count {
            return Err(Error::InvalidArgument);
        }
        let g = (ino - 1) / self.sb.inodes_per_group;
        let idx = (ino - 1) % self.sb.inodes_per_group;
        let byte = u64::from(idx) * u64::from(self.sb.inode_size);
        let bs = u64::from(self.sb.block_size);
        let block = u64::from(self.groups[g as usize].inode_table) + byte / bs;
        Ok((block as u32, (byte % bs) as usize))
    }

    /// Read inode `ino` (in use or not).
    pub(crate) fn read_inode(&mut self, ino: Ino) -> Result<Inode> {
        let (block, off) = self.inode_pos(ino)?;
        let isz = self.sb.inode_size as usize;
        let data = self.cache.get(&mut self.dev, block)?;
        Ok(Inode::parse(&data[off..off + isz]))
    }

    /// `InvalidArgument` for the reserved inodes (below `s_first_ino`,
    /// except the root), which callers may look at but not change.
    pub(crate) fn check_modifiable(&self, ino: Ino) -> Result<()> {
        if ino != ROOT_INO && ino < self.sb.first_ino {
            return Err(Error::InvalidArgument);
        }
        Ok(())
    }

    /// Read inode `ino`, which must be in use (`NotFound` otherwise): it
    /// has links, or it is pinned open after its last link went.
    pub(crate) fn read_live_inode(&mut self, ino: Ino) -> Result<Inode> {
        let inode = self.read_inode(ino)?;
        if inode.mode == 0 || (inode.links == 0 && !self.pins.contains_key(&ino)) {
            return Err(Error::NotFound);
        }
        Ok(inode)
    }

    /// Write inode `ino` back (into the cache).
    pub(crate) fn write_inode(&mut self, ino: Ino, inode: &Inode) -> Result<()> {
        let (block, off) = self.inode_pos(ino)?;
        let isz = self.sb.inode_size as usize;
        let data = self.cache.get_mut(&mut self.dev, block)?;
        inode.store(&mut data[off..off + isz]);
        Ok(())
    }

    /// Zero the whole on-disk inode `ino`, then store `inode` in it.
    pub(crate) fn write_new_inode(&mut self, ino: Ino, inode: &Inode) -> Result<()> {
        let (block, off) = self.inode_pos(ino)?;
        let isz = self.sb.inode_size as usize;
        let data = self.cache.get_mut(&mut self.dev, block)?;
        data[off..off + isz].fill(0);
        inode.store(&mut data[off..off + isz]);
        Ok(())
    }

    /// Read, change and write back inode `ino`.
    pub(crate) fn update_inode(&mut self, ino: Ino, f: impl FnOnce(&mut Inode)) -> Result<Inode> {
        let mut inode = self.read_inode(ino)?;
        f(&mut inode);
        self.write_inode(ino, &inode)?;
        Ok(inode)
    }

    /// `Corrupt` unless `b` is a block number inside the filesystem, past
    /// the superblock and the group descriptor table.
    pub(crate) fn check_block(&self, b: u32) -> Result<()> {
        if b <= self.sb.first_data_block + self.sb.gdt_blocks || b >= self.sb.blocks_count {
            Err(Error::Corrupt("block number out of range"))
        } else {
            Ok(())
        }
    }

    /// Record that group descriptor `g` changed.
    pub(crate) fn group_changed(&mut self, g: u32) {
        let off = g as usize * DESC_SIZE as usize;
        self.groups[g as usize].store_counts(&mut self.gdt_raw[off..off + DESC_SIZE as usize]);
        self.gdt_dirty[off / self.sb.block_size as usize] = true;
    }

    /// Record that the superblock's counters or features changed.
    pub(crate) fn sb_changed(&mut self) {
        self.sb_dirty = true;
    }

    /// Make sure a regular file of `size` bytes can be described: sizes of
    /// 2 GiB and more need the LARGE_FILE feature, which is turned on if
    /// the revision allows.
    pub(crate) fn allow_size(&mut self, size: u64) -> Result<()> {
        if size < 1 << 31 || self.sb.ro_compat & feature::RO_COMPAT_LARGE_FILE != 0 {
            return Ok(());
        }
        if self.sb.rev == 0 {
            return Err(Error::TooBig);
        }
        self.sb.ro_compat |= feature::RO_COMPAT_LARGE_FILE;
        self.sb_changed();
        Ok(())
    }
}

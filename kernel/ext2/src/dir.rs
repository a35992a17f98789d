//! Directories: entry parsing, lookup, listing, inserting and removing
//! entries.
//!
//! Entries are read linearly, so htree-indexed directories read fine (their
//! index blocks look like empty entries). Any change to a directory clears
//! its `EXT2_INDEX_FL`, turning it into a plain linear directory, which is
//! what `e2fsck` expects from a writer that does not maintain the index.
//!
//! Lookups, inserts and removals go through the in-memory name index of
//! `dindex` when the directory has one (built here on first use); every
//! change to entries made here keeps it up to date.

use alloc::vec::Vec;
use core::fmt;

use crate::bytes::{get16, get32, put16, put32};
use crate::device::BlockDevice;
use crate::dindex::{name_hash, BlockRoom, DirIndex, Entry, Table, MAX_INDEXED_BYTES};
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileKind, Ino, Inode, INDEX_FL, ROOT_INO};

/// The longest name in a directory entry.
pub const NAME_MAX: usize = 255;

/// The largest directory accepted (256 MiB, millions of entries): a bound
/// on the work a damaged directory inode can cause.
pub const MAX_DIR_SIZE: u64 = 1 << 28;

/// One entry of a directory listing.
#[derive(Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The inode the entry names.
    pub ino: Ino,
    /// Its kind (from the entry's type byte, or the inode when the
    /// filesystem has no FILETYPE feature).
    pub kind: FileKind,
    name_len: u8,
    name: [u8; NAME_MAX],
}

impl DirEntry {
    /// The entry's name.
    pub fn name(&self) -> &[u8] {
        &self.name[..usize::from(self.name_len)]
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirEntry")
            .field("ino", &self.ino)
            .field("kind", &self.kind)
            .field(
                "name",
                &core::str::from_utf8(self.name()).unwrap_or("<not utf-8>"),
            )
            .finish()
    }
}

/// A decoded entry header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEntry {
    pub inode: u32,
    pub rec_len: usize,
    pub name_len: usize,
    pub ftype: u8,
}

/// Where a named entry was found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryLoc {
    pub phys: u32,
    /// The directory block (logical) holding it.
    pub lblk: usize,
    pub off: usize,
    /// The entry before it in the same block.
    pub prev: Option<usize>,
    pub inode: Ino,
}

/// A place for a new entry: the entry at `off` of block `phys` is unused
/// and large enough, or has enough slack to be split.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    phys: u32,
    lblk: usize,
    off: usize,
}

/// What a name index query gives: `Err(())` when the index cannot answer.
type IndexResult<T> = core::result::Result<T, ()>;

/// An entry the name index led to.
#[derive(Debug, Clone, Copy)]
struct Hit {
    phys: u32,
    lblk: usize,
    off: usize,
    ino: Ino,
    ftype: u8,
}

/// The largest entry that fits in the entry `e` (its free slack, or all of
/// it when unused).
fn entry_room(e: &RawEntry) -> usize {
    if e.inode == 0 {
        e.rec_len
    } else {
        e.rec_len - rec_len_for(e.name_len).min(e.rec_len)
    }
}

/// The room of the entry at `off` of `blk` (see [`entry_room`]), or
/// `None` if its length is out of bounds. No other check: this is the name
/// index's bookkeeping, and inserts validate the entry they use.
fn quick_room(blk: &[u8], off: usize) -> Option<(usize, usize)> {
    if off + 8 > blk.len() {
        return None;
    }
    let rec_len = usize::from(get16(blk, off + 4));
    if rec_len < 8 || off + rec_len > blk.len() {
        return None;
    }
    let room = if get32(blk, off) == 0 {
        rec_len
    } else {
        rec_len.saturating_sub(rec_len_for(usize::from(blk[off + 6])))
    };
    Some((room, rec_len))
}

/// The room in directory block `blk` (a quick walk, see [`quick_room`]).
fn block_room(blk: &[u8]) -> BlockRoom {
    let (mut off, mut best) = (0, BlockRoom::default());
    while let Some((room, rec_len)) = quick_room(blk, off) {
        best.grew(off as u32, room as u32);
        off += rec_len;
    }
    best
}

/// The space an entry with a name of `name_len` bytes needs.
pub(crate) fn rec_len_for(name_len: usize) -> usize {
    (8 + name_len + 3) & !3
}

/// What entry parsing needs to know about the filesystem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirFormat {
    pub inodes_count: u32,
    /// Entries may not name inodes below this one, except the root.
    pub first_ino: u32,
    /// Entries carry a file type byte.
    pub filetype: bool,
}

/// Decode and check the entry at `off` of directory block `blk`.
pub(crate) fn parse_entry(blk: &[u8], off: usize, fmt: DirFormat) -> Result<RawEntry> {
    let DirFormat {
        inodes_count,
        first_ino,
        filetype,
    } = fmt;
    if off + 8 > blk.len() {
        return Err(Error::Corrupt("directory entry crosses the block end"));
    }
    let inode = get32(blk, off);
    let rec_len = usize::from(get16(blk, off + 4));
    let name_len = usize::from(blk[off + 6]);
    let ftype = blk[off + 7];
    if rec_len < 8 || rec_len % 4 != 0 || off + rec_len > blk.len() {
        return Err(Error::Corrupt("bad directory entry length"));
    }
    if rec_len < 8 + name_len {
        return Err(Error::Corrupt("directory entry name longer than the entry"));
    }
    if !filetype && ftype != 0 {
        return Err(Error::Corrupt("directory entry name too long"));
    }
    if inode != 0 && (name_len == 0 || inode > inodes_count) {
        return Err(Error::Corrupt("bad directory entry"));
    }
    if inode != 0 && inode != ROOT_INO && inode < first_ino {
        return Err(Error::Corrupt("directory entry names a reserved inode"));
    }
    Ok(RawEntry {
        inode,
        rec_len,
        name_len,
        ftype: if filetype { ftype } else { 0 },
    })
}

/// The name hash of the entry at `off` of `blk` (whose header and name
/// were checked when it was found).
fn entry_hash(blk: &[u8], off: usize) -> u32 {
    let len = usize::from(blk[off + 6]);
    name_hash(&blk[off + 8..off + 8 + len])
}

/// Write an entry header and name at `off` (the name padding is zeroed).
fn write_entry(blk: &mut [u8], off: usize, ino: Ino, rec_len: usize, name: &[u8], ftype: u8) {
    put32(blk, off, ino);
    put16(blk, off + 4, rec_len as u16);
    blk[off + 6] = name.len() as u8;
    blk[off + 7] = ftype;
    blk[off + 8..off + 8 + name.len()].copy_from_slice(name);
    let pad_end = (off + rec_len_for(name.len())).min(off + rec_len);
    blk[off + 8 + name.len()..pad_end].fill(0);
}

/// Check a name for a new entry.
pub(crate) fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Error::InvalidArgument);
    }
    if name.len() > NAME_MAX {
        return Err(Error::NameTooLong);
    }
    Ok(())
}

impl<D: BlockDevice> Fs<D> {
    pub(crate) fn dir_format(&self) -> DirFormat {
        DirFormat {
            inodes_count: self.sb.inodes_count,
            first_ino: self.sb.first_ino,
            filetype: self.sb.has_filetype(),
        }
    }

    /// The number of blocks of directory `dinode`, checked against what it
    /// has allocated.
    fn dir_nblocks(&self, dinode: &Inode) -> Result<u64> {
        let bs = u64::from(self.sb.block_size);
        let size = dinode.size();
        if !size.is_multiple_of(bs) {
            return Err(Error::Corrupt(
                "directory size not a multiple of the block size",
            ));
        }
        if size / bs > u64::from(dinode.blocks) / (bs / 512) || size > MAX_DIR_SIZE {
            return Err(Error::Corrupt("directory larger than its blocks"));
        }
        Ok(size / bs)
    }

    /// The physical block of directory block `lblk` (holes are corrupt, as
    /// in Linux's ext2).
    fn dir_block(&mut self, dinode: &Inode, lblk: u64) -> Result<u32> {
        self.bmap(dinode, lblk)?
            .ok_or(Error::Corrupt("hole in a directory"))
    }

    /// Read directory `dir`, which must be a live directory.
    pub(crate) fn read_dir_inode(&mut self, dir: Ino) -> Result<Inode> {
        let dinode = self.read_live_inode(dir)?;
        if dinode.kind() != FileKind::Directory {
            return Err(Error::NotDir);
        }
        Ok(dinode)
    }

    /// Look `name` up in `dinode`; also find room for a new entry of
    /// `need` bytes (`need == 0`: do not look for room).
    pub(crate) fn scan_dir(
        &mut self,
        dinode: &Inode,
        name: &[u8],
        need: usize,
    ) -> Result<(Option<EntryLoc>, Option<Slot>)> {
        let n = self.dir_nblocks(dinode)?;
        let fmt = self.dir_format();
        let mut slot = None;
        for lblk in 0..n {
            let phys = self.dir_block(dinode, lblk)?;
            let blk = self.cache.get(&mut self.dev, phys)?;
            let (mut off, mut prev) = (0, None);
            while off < blk.len() {
                let e = parse_entry(blk, off, fmt)?;
                if e.inode != 0 && &blk[off + 8..off + 8 + e.name_len] == name {
                    let loc = EntryLoc {
                        phys,
                        lblk: lblk as usize,
                        off,
                        prev,
                        inode: e.inode,
                    };
                    return Ok((Some(loc), None));
                }
                if need > 0 && slot.is_none() && entry_room(&e) >= need {
                    slot = Some(Slot {
                        phys,
                        lblk: lblk as usize,
                        off,
                    });
                }
                prev = Some(off);
                off += e.rec_len;
            }
        }
        Ok((None, slot))
    }

    /// Make sure directory `dir` (inode `dinode`) has a name index, building
    /// it if needed. False when it is not indexed (too large, unreadable,
    /// or no memory): callers scan it linearly.
    fn ensure_index(&mut self, dir: Ino, dinode: &Inode) -> bool {
        if self.dindex.get(dir).is_some() {
            return true;
        }
        if dinode.size() > MAX_INDEXED_BYTES {
            return false;
        }
        let Ok(d) = self.build_index(dir, dinode) else {
            return false;
        };
        if !self.dindex.make_room(d.table.capacity(), true, dir) {
            return false;
        }
        self.dindex.add(d);
        true
    }

    /// Scan directory `dir` once and index every entry.
    fn build_index(&mut self, dir: Ino, dinode: &Inode) -> Result<DirIndex> {
        let n = self.dir_nblocks(dinode)?;
        let fmt = self.dir_format();
        let bs = self.sb.block_size as usize;
        let mut d = DirIndex {
            dir,
            last_use: 0,
            blocks: Vec::with_capacity(n as usize),
            room: Vec::with_capacity(n as usize),
            table: Table::default(),
        };
        for lblk in 0..n {
            let phys = self.dir_block(dinode, lblk)?;
            let blk = self.cache.get(&mut self.dev, phys)?;
            let (mut off, mut room) = (0, BlockRoom::default());
            while off < blk.len() {
                let e = parse_entry(blk, off, fmt)?;
                room.grew(off as u32, entry_room(&e) as u32);
                if e.inode != 0 {
                    let entry = Entry {
                        hash: name_hash(&blk[off + 8..off + 8 + e.name_len]),
                        pos: (lblk as usize * bs + off) as u32,
                        ino: e.inode,
                    };
                    d.table.insert(entry).map_err(|_| Error::NoSpace)?;
                }
                off += e.rec_len;
            }
            d.blocks.push(phys);
            d.room.push(room);
        }
        Ok(d)
    }

    /// Look `name` up in the index of `dir`. `Ok(Err(()))` when there is no
    /// usable index: `dir` has none, or an index entry disagrees with the
    /// block it points to (the index is wrong and is dropped); the caller
    /// then scans the directory.
    fn index_find(&mut self, dir: Ino, name: &[u8]) -> Result<IndexResult<Option<Hit>>> {
        let bs = self.sb.block_size as usize;
        let filetype = self.sb.has_filetype();
        let hash = name_hash(name);
        let Some(d) = self.dindex.get(dir) else {
            return Ok(Err(()));
        };
        let mut result = Ok(None);
        for (_, e) in d.table.matches(hash) {
            let (lblk, off) = (e.pos as usize / bs, e.pos as usize % bs);
            let Some(&phys) = d.blocks.get(lblk) else {
                result = Err(());
                break;
            };
            let blk = self.cache.get(&mut self.dev, phys)?;
            if off + 8 > blk.len() || get32(blk, off) != e.ino {
                result = Err(());
                break;
            }
            let len = usize::from(blk[off + 6]);
            if off + 8 + len > blk.len() {
                result = Err(());
                break;
            }
            if &blk[off + 8..off + 8 + len] == name {
                let ftype = if filetype { blk[off + 7] } else { 0 };
                result = Ok(Some(Hit {
                    phys,
                    lblk,
                    off,
                    ino: e.ino,
                    ftype,
                }));
                break;
            }
        }
        if result.is_err() {
            self.dindex.drop_dir(dir);
        }
        Ok(result)
    }

    /// The offset of the entry before the one at `off` in block `phys`.
    fn prev_entry(&mut self, phys: u32, off: usize) -> Result<Option<usize>> {
        let fmt = self.dir_format();
        let blk = self.cache.get(&mut self.dev, phys)?;
        let (mut cur, mut prev) = (0, None);
        while cur < off {
            let e = parse_entry(blk, cur, fmt)?;
            prev = Some(cur);
            cur += e.rec_len;
        }
        if cur != off {
            return Err(Error::Corrupt("directory entry not on the entry chain"));
        }
        Ok(prev)
    }

    /// Find entry `name` in directory `dir`.
    pub(crate) fn find_entry(&mut self, dir: Ino, name: &[u8]) -> Result<Option<EntryLoc>> {
        let dinode = self.read_dir_inode(dir)?;
        if name.len() > NAME_MAX {
            return Err(Error::NameTooLong);
        }
        if self.ensure_index(dir, &dinode) {
            if let Ok(hit) = self.index_find(dir, name)? {
                let Some(h) = hit else {
                    return Ok(None);
                };
                let prev = self.prev_entry(h.phys, h.off)?;
                return Ok(Some(EntryLoc {
                    phys: h.phys,
                    lblk: h.lblk,
                    off: h.off,
                    prev,
                    inode: h.ino,
                }));
            }
        }
        Ok(self.scan_dir(&dinode, name, 0)?.0)
    }

    /// The inode named `name` in directory `dir` (`.` and `..` included).
    pub fn lookup(&mut self, dir: Ino, name: impl AsRef<[u8]>) -> Result<Ino> {
        self.lookup_entry(dir, name).map(|(ino, _)| ino)
    }

    /// The inode named `name` in directory `dir` and its kind, from the
    /// directory entry's type (or the inode, on filesystems without
    /// FILETYPE).
    pub fn lookup_entry(&mut self, dir: Ino, name: impl AsRef<[u8]>) -> Result<(Ino, FileKind)> {
        let name = name.as_ref();
        if name.is_empty() {
            return Err(Error::NotFound);
        }
        // An indexed directory is a live directory: its index goes when
        // its inode is released.
        if name.len() <= NAME_MAX && self.dindex.get(dir).is_some() {
            if let Ok(hit) = self.index_find(dir, name)? {
                let h = hit.ok_or(Error::NotFound)?;
                return Ok((h.ino, self.entry_kind(h.ino, h.ftype)?));
            }
        }
        match self.find_entry(dir, name)? {
            Some(loc) => {
                let ftype = if self.sb.has_filetype() {
                    self.cache.get(&mut self.dev, loc.phys)?[loc.off + 7]
                } else {
                    0
                };
                Ok((loc.inode, self.entry_kind(loc.inode, ftype)?))
            }
            None => Err(Error::NotFound),
        }
    }

    /// The kind of inode `ino` from its entry's type byte, or from the
    /// inode when the byte does not say.
    fn entry_kind(&mut self, ino: Ino, ftype: u8) -> Result<FileKind> {
        match FileKind::from_dirent(ftype) {
            FileKind::Unknown => Ok(self.read_inode(ino)?.kind()),
            k => Ok(k),
        }
    }

    /// Check that `name` is not in directory `dir` and find room for it.
    pub(crate) fn prepare_insert(&mut self, dir: Ino, name: &[u8]) -> Result<Option<Slot>> {
        check_name(name)?;
        let dinode = self.read_dir_inode(dir)?;
        let need = rec_len_for(name.len());
        if self.ensure_index(dir, &dinode) {
            match self.index_find(dir, name)? {
                Ok(Some(_)) => return Err(Error::Exists),
                Ok(None) => {
                    if let Some(slot) = self.index_slot(dir, need)? {
                        return Ok(slot);
                    }
                }
                Err(()) => {}
            }
        }
        match self.scan_dir(&dinode, name, need)? {
            (Some(_), _) => Err(Error::Exists),
            (None, slot) => Ok(slot),
        }
    }

    /// Room for an entry of `need` bytes in indexed directory `dir`, the
    /// first that fits as a linear scan would find it: `Some(None)` when
    /// no block has room, `None` when the index turned out wrong (it is
    /// dropped).
    fn index_slot(&mut self, dir: Ino, need: usize) -> Result<Option<Option<Slot>>> {
        let fmt = self.dir_format();
        let Some(d) = self.dindex.get(dir) else {
            return Ok(None);
        };
        let Some(lblk) = d.block_with_room(need) else {
            return Ok(Some(None));
        };
        let (phys, off) = (d.blocks[lblk], d.room[lblk].off as usize);
        let blk = self.cache.get(&mut self.dev, phys)?;
        if let Ok(e) = parse_entry(blk, off, fmt) {
            if entry_room(&e) >= need {
                return Ok(Some(Some(Slot { phys, lblk, off })));
            }
        }
        self.dindex.drop_dir(dir);
        Ok(None)
    }

    /// Record in `dir`'s index (if any) the new entry `name` -> `ino` at
    /// `off` of directory block `lblk` (physical `phys`), made in the room
    /// of the entry at `slot_off`.
    fn index_added(
        &mut self,
        dir: Ino,
        lblk: usize,
        phys: u32,
        (slot_off, off): (usize, usize),
        name: &[u8],
        ino: Ino,
    ) -> Result<()> {
        let bs = self.sb.block_size as usize;
        let Some(d) = self.dindex.get(dir) else {
            return Ok(());
        };
        let extra = d.table.capacity_for_one_more() - d.table.capacity();
        // An existing block, or the one just appended.
        let coherent = lblk < d.blocks.len() || (lblk == d.blocks.len() && off == 0);
        if !coherent || (extra > 0 && !self.dindex.make_room(extra, false, dir)) {
            self.dindex.drop_dir(dir);
            return Ok(());
        }
        // Only the entry whose room was used, split or filled, lost room:
        // if it was the block's largest, the room now left there (at the
        // new entry) is the largest unless another entry may have more.
        let blk = self.cache.get(&mut self.dev, phys)?;
        let left = quick_room(blk, off).map_or(0, |(r, _)| r as u32);
        let Some(d) = self.dindex.get(dir) else {
            return Ok(());
        };
        if lblk == d.blocks.len() {
            d.blocks.push(phys);
            d.room.push(BlockRoom {
                max: left,
                off: 0,
                others: 0,
            });
        }
        if d.blocks[lblk] != phys {
            self.dindex.drop_dir(dir);
            return Ok(());
        }
        let r = d.room[lblk];
        if r.off as usize == slot_off {
            if r.others <= left {
                d.room[lblk] = BlockRoom {
                    max: left,
                    off: off as u32,
                    others: r.others,
                };
            } else {
                let room = block_room(self.cache.get(&mut self.dev, phys)?);
                match self.dindex.get(dir) {
                    Some(d) => d.room[lblk] = room,
                    None => return Ok(()),
                }
            }
        }
        let Some(d) = self.dindex.get(dir) else {
            return Ok(());
        };
        let entry = Entry {
            hash: name_hash(name),
            pos: (lblk * bs + off) as u32,
            ino,
        };
        if d.table.insert(entry).is_err() || d.blocks.len() as u64 * bs as u64 > MAX_INDEXED_BYTES {
            self.dindex.drop_dir(dir);
        }
        Ok(())
    }

    /// Mark directory `dir` modified: clear its index flag, set its times.
    fn dir_touch(&mut self, dir: Ino, dinode: &mut Inode) -> Result<()> {
        self.dir_changes += 1;
        dinode.flags &= !INDEX_FL;
        let now = self.now();
        dinode.mtime = now;
        dinode.ctime = now;
        self.write_inode(dir, dinode)
    }

    /// Add entry `name` -> `ino` to `dir` at `slot` (from
    /// [`Fs::prepare_insert`], with no change to `dir` since), or in a new
    /// block when there was no room.
    pub(crate) fn dir_insert(
        &mut self,
        dir: Ino,
        slot: Option<Slot>,
        name: &[u8],
        ino: Ino,
        kind: FileKind,
    ) -> Result<()> {
        let ftype = if self.sb.has_filetype() {
            kind.dirent_type()
        } else {
            0
        };
        let mut dinode = self.read_inode(dir)?;
        let r = match slot {
            Some(s) => self
                .insert_in_block(s, name, ino, ftype)
                .map(|off| (s.lblk, s.phys, (s.off, off))),
            None => self.dir_append_block(dir, &mut dinode, name, ino, ftype),
        };
        let r = r.and_then(|(lblk, phys, off)| self.index_added(dir, lblk, phys, off, name, ino));
        if r.is_err() {
            self.dindex.drop_dir(dir);
        }
        self.dir_touch(dir, &mut dinode)?;
        r
    }

    /// Write the entry at slot `s`; returns the offset it went to.
    fn insert_in_block(&mut self, s: Slot, name: &[u8], ino: Ino, ftype: u8) -> Result<usize> {
        let fmt = self.dir_format();
        let blk = self.cache.get_mut(&mut self.dev, s.phys)?;
        let e = parse_entry(blk, s.off, fmt)?;
        let need = rec_len_for(name.len());
        if e.inode == 0 {
            if e.rec_len < need {
                return Err(Error::Corrupt("directory slot vanished"));
            }
            write_entry(blk, s.off, ino, e.rec_len, name, ftype);
            Ok(s.off)
        } else {
            let used = rec_len_for(e.name_len);
            if e.rec_len < used + need {
                return Err(Error::Corrupt("directory slot vanished"));
            }
            put16(blk, s.off + 4, used as u16);
            write_entry(blk, s.off + used, ino, e.rec_len - used, name, ftype);
            Ok(s.off + used)
        }
    }

    /// Add a block holding just entry `name` to `dir`; returns the logical
    /// and physical block, and (0, 0): the entry's offset, as
    /// [`Fs::index_added`] wants it.
    fn dir_append_block(
        &mut self,
        dir: Ino,
        dinode: &mut Inode,
        name: &[u8],
        ino: Ino,
        ftype: u8,
    ) -> Result<(usize, u32, (usize, usize))> {
        let bs = u64::from(self.sb.block_size);
        let lblk = dinode.size() / bs;
        if (lblk + 1) * bs > u64::from(u32::MAX) {
            return Err(Error::TooBig);
        }
        let goal = self.goal_for(dir, dinode, lblk)?;
        let (phys, _) = self.bmap_alloc(dinode, lblk, goal)?;
        let blk = self.cache.get_zeroed(&mut self.dev, phys)?;
        write_entry(blk, 0, ino, bs as usize, name, ftype);
        dinode.set_size((lblk + 1) * bs);
        Ok((lblk as usize, phys, (0, 0)))
    }

    /// Initialise the first block of a new directory `ino` in `parent`.
    pub(crate) fn init_dir_block(&mut self, phys: u32, ino: Ino, parent: Ino) -> Result<()> {
        // Nothing should be indexed under a fresh inode; make sure.
        self.dindex.drop_dir(ino);
        let ftype = if self.sb.has_filetype() { 2 } else { 0 };
        let bs = self.sb.block_size as usize;
        let blk = self.cache.get_zeroed(&mut self.dev, phys)?;
        write_entry(blk, 0, ino, 12, b".", ftype);
        write_entry(blk, 12, parent, bs - 12, b"..", ftype);
        Ok(())
    }

    /// Remove the entry at `loc` from `dir`.
    pub(crate) fn dir_remove(&mut self, dir: Ino, loc: &EntryLoc) -> Result<()> {
        let blk = self.cache.get_mut(&mut self.dev, loc.phys)?;
        let hash = entry_hash(blk, loc.off);
        if let Some(p) = loc.prev {
            let merged = usize::from(get16(blk, p + 4)) + usize::from(get16(blk, loc.off + 4));
            put16(blk, p + 4, merged as u16);
        }
        put32(blk, loc.off, 0);
        // Only the entry that took the space gained room.
        let grown = loc.prev.unwrap_or(loc.off);
        let room = quick_room(blk, grown).map_or(0, |(r, _)| r as u32);
        let bs = self.sb.block_size as usize;
        if let Some(d) = self.dindex.get(dir) {
            let pos = (loc.lblk * bs + loc.off) as u32;
            match d.table.find_pos(hash, pos) {
                Some(i) if d.blocks.get(loc.lblk) == Some(&loc.phys) => {
                    d.table.remove_at(i);
                    d.room[loc.lblk].grew(grown as u32, room);
                }
                _ => self.dindex.drop_dir(dir),
            }
        }
        let mut dinode = self.read_inode(dir)?;
        self.dir_touch(dir, &mut dinode)
    }

    /// Point the entry at `loc` of `dir` to `ino`.
    pub(crate) fn dir_set(
        &mut self,
        dir: Ino,
        loc: &EntryLoc,
        ino: Ino,
        kind: FileKind,
    ) -> Result<()> {
        let ftype = if self.sb.has_filetype() {
            kind.dirent_type()
        } else {
            0
        };
        let blk = self.cache.get_mut(&mut self.dev, loc.phys)?;
        let hash = entry_hash(blk, loc.off);
        put32(blk, loc.off, ino);
        blk[loc.off + 7] = ftype;
        let bs = self.sb.block_size as usize;
        if let Some(d) = self.dindex.get(dir) {
            let pos = (loc.lblk * bs + loc.off) as u32;
            match d.table.find_pos(hash, pos) {
                Some(i) if ino != 0 => d.table.set_ino(i, ino),
                _ => self.dindex.drop_dir(dir),
            }
        }
        let mut dinode = self.read_inode(dir)?;
        self.dir_touch(dir, &mut dinode)
    }

    /// Whether directory `dinode` holds nothing but `.` and `..`.
    pub(crate) fn dir_is_empty(&mut self, dinode: &Inode) -> Result<bool> {
        let n = self.dir_nblocks(dinode)?;
        let fmt = self.dir_format();
        for lblk in 0..n {
            let phys = self.dir_block(dinode, lblk)?;
            let blk = self.cache.get(&mut self.dev, phys)?;
            let mut off = 0;
            while off < blk.len() {
                let e = parse_entry(blk, off, fmt)?;
                let name = &blk[off + 8..off + 8 + e.name_len];
                if e.inode != 0 && name != b"." && name != b".." {
                    return Ok(false);
                }
                off += e.rec_len;
            }
        }
        Ok(true)
    }

    /// The first entry of directory `dir` at or after position `cookie`
    /// (0 to start), with the cookie of the next one; `None` at the end.
    /// `.` and `..` are included. A cookie this call returned last, with
    /// no directory changed since, is known to be an entry boundary: the
    /// walk starts right there. Any other cookie is resynchronised by
    /// walking its block from the start (an entry may have been merged
    /// away since).
    pub fn readdir(&mut self, dir: Ino, cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        let dinode = self.read_dir_inode(dir)?;
        let n = self.dir_nblocks(&dinode)?;
        let bs = u64::from(self.sb.block_size);
        let fmt = self.dir_format();
        let resume = self.readdir_at == Some((dir, cookie, self.dir_changes));
        let (mut lblk, mut skip) = (cookie / bs, (cookie % bs) as usize);
        while lblk < n {
            let phys = self.dir_block(&dinode, lblk)?;
            let blk = self.cache.get(&mut self.dev, phys)?;
            let mut off = if resume { skip } else { 0 };
            while off < blk.len() {
                let e = parse_entry(blk, off, fmt)?;
                if off >= skip && e.inode != 0 {
                    let mut entry = DirEntry {
                        ino: e.inode,
                        kind: FileKind::from_dirent(e.ftype),
                        name_len: e.name_len as u8,
                        name: [0; NAME_MAX],
                    };
                    entry.name[..e.name_len].copy_from_slice(&blk[off + 8..off + 8 + e.name_len]);
                    if entry.kind == FileKind::Unknown {
                        if let Ok(i) = self.read_inode(entry.ino) {
                            entry.kind = i.kind();
                        }
                    }
                    let next = lblk * bs + (off + e.rec_len) as u64;
                    self.readdir_at = Some((dir, next, self.dir_changes));
                    return Ok(Some((entry, next)));
                }
                off += e.rec_len;
            }
            lblk += 1;
            skip = 0;
        }
        Ok(None)
    }

    /// Every entry of directory `dir`, `.` and `..` included.
    pub fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        let mut cookie = 0;
        while let Some((e, next)) = self.readdir(dir, cookie)? {
            out.push(e);
            cookie = next;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(inodes_count: u32, filetype: bool) -> DirFormat {
        DirFormat {
            inodes_count,
            first_ino: 11,
            filetype,
        }
    }

    #[test]
    fn entry_parsing_rejects_bad_lengths() {
        let mut blk = [0u8; 1024];
        write_entry(&mut blk, 0, 2, 12, b".", 2);
        write_entry(&mut blk, 12, 2, 1012, b"..", 2);
        let e = parse_entry(&blk, 0, fmt(100, true)).unwrap();
        assert_eq!((e.inode, e.rec_len, e.name_len, e.ftype), (2, 12, 1, 2));
        assert!(parse_entry(&blk, 12, fmt(100, true)).is_ok());
        // A reserved inode.
        put32(&mut blk, 0, 7);
        assert!(parse_entry(&blk, 0, fmt(100, true)).is_err());
        put32(&mut blk, 0, 2);
        // Inode number beyond the filesystem.
        assert!(parse_entry(&blk, 0, fmt(1, true)).is_err());
        // Without FILETYPE the type byte is the high byte of the name length.
        assert!(parse_entry(&blk, 0, fmt(100, false)).is_err());
        // rec_len past the block end, not a multiple of 4, too short.
        for bad in [1016u16, 13, 4, 0] {
            put16(&mut blk, 12, 0);
            put16(&mut blk, 16, bad);
            assert!(parse_entry(&blk, 12, fmt(100, true)).is_err(), "{bad}");
        }
        // Entry header crossing the end.
        assert!(parse_entry(&blk, 1020, fmt(100, true)).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(rec_len_for(1), 12);
        assert_eq!(rec_len_for(4), 12);
        assert_eq!(rec_len_for(5), 16);
        assert!(check_name(b"ok").is_ok());
        assert_eq!(check_name(b""), Err(Error::InvalidArgument));
        assert_eq!(check_name(b"a/b"), Err(Error::InvalidArgument));
        assert_eq!(check_name(&[b'x'; 256]), Err(Error::NameTooLong));
    }
}

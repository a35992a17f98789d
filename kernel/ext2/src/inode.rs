//! On-disk inodes, file kinds and the public [`Stat`].

use crate::bytes::{get16, get32, put16, put32};

/// An inode number (1-based; 0 means "no inode").
pub type Ino = u32;

/// The root directory's inode number.
pub const ROOT_INO: Ino = 2;

/// The most links an inode may have.
pub const LINK_MAX: u16 = 32000;

/// The size of the on-disk inode fields we model (revision 0 inode).
pub(crate) const GOOD_OLD_INODE_SIZE: usize = 128;

/// `i_flags`: the directory has a hashed index (htree).
pub(crate) const INDEX_FL: u32 = 0x1000;

/// Mode bits: the file type mask and the types.
pub(crate) const S_IFMT: u16 = 0xF000;
const S_IFSOCK: u16 = 0xC000;
const S_IFLNK: u16 = 0xA000;
const S_IFREG: u16 = 0x8000;
const S_IFBLK: u16 = 0x6000;
const S_IFDIR: u16 = 0x4000;
const S_IFCHR: u16 = 0x2000;
const S_IFIFO: u16 = 0x1000;

/// What an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A mode or directory-entry type this crate does not know.
    Unknown,
}

impl FileKind {
    /// The kind encoded in the type bits of an `i_mode`.
    pub fn from_mode(mode: u16) -> FileKind {
        match mode & S_IFMT {
            S_IFREG => FileKind::Regular,
            S_IFDIR => FileKind::Directory,
            S_IFLNK => FileKind::Symlink,
            S_IFCHR => FileKind::CharDevice,
            S_IFBLK => FileKind::BlockDevice,
            S_IFIFO => FileKind::Fifo,
            S_IFSOCK => FileKind::Socket,
            _ => FileKind::Unknown,
        }
    }

    /// The type bits for an `i_mode` (0 for `Unknown`).
    pub fn mode_bits(self) -> u16 {
        match self {
            FileKind::Regular => S_IFREG,
            FileKind::Directory => S_IFDIR,
            FileKind::Symlink => S_IFLNK,
            FileKind::CharDevice => S_IFCHR,
            FileKind::BlockDevice => S_IFBLK,
            FileKind::Fifo => S_IFIFO,
            FileKind::Socket => S_IFSOCK,
            FileKind::Unknown => 0,
        }
    }

    /// The kind stored in a directory entry's file type byte.
    pub(crate) fn from_dirent(t: u8) -> FileKind {
        match t {
            1 => FileKind::Regular,
            2 => FileKind::Directory,
            3 => FileKind::CharDevice,
            4 => FileKind::BlockDevice,
            5 => FileKind::Fifo,
            6 => FileKind::Socket,
            7 => FileKind::Symlink,
            _ => FileKind::Unknown,
        }
    }

    /// The directory entry file type byte for this kind.
    pub(crate) fn dirent_type(self) -> u8 {
        match self {
            FileKind::Unknown => 0,
            FileKind::Regular => 1,
            FileKind::Directory => 2,
            FileKind::CharDevice => 3,
            FileKind::BlockDevice => 4,
            FileKind::Fifo => 5,
            FileKind::Socket => 6,
            FileKind::Symlink => 7,
        }
    }
}

/// What `stat` reports about an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The inode number.
    pub ino: Ino,
    /// The file type.
    pub kind: FileKind,
    /// Permission bits, including set-uid, set-gid and sticky (`mode & 0o7777`).
    pub perm: u16,
    /// Size in bytes.
    pub size: u64,
    /// Number of hard links.
    pub links: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Last access (seconds since the epoch; not updated by reads).
    pub atime: u32,
    /// Last data modification.
    pub mtime: u32,
    /// Last inode change.
    pub ctime: u32,
    /// Allocated space in 512-byte units, indirect blocks included.
    pub blocks: u64,
}

/// The 128-byte revision-0 inode, fully decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inode {
    pub mode: u16,
    pub uid: u32,
    pub size_lo: u32,
    pub atime: u32,
    pub ctime: u32,
    pub mtime: u32,
    pub dtime: u32,
    pub gid: u32,
    pub links: u16,
    pub blocks: u32,
    pub flags: u32,
    pub osd1: u32,
    pub block: [u32; 15],
    pub generation: u32,
    pub file_acl: u32,
    pub size_high: u32,
    pub faddr: u32,
    pub osd2: [u8; 12],
    /// The times as read, to know which `*_extra` fields went stale.
    orig_times: [u32; 3],
}

impl Inode {
    /// A fresh inode: everything zero but the mode, the times and `links`.
    pub fn new(mode: u16, now: u32) -> Inode {
        Inode {
            mode,
            uid: 0,
            size_lo: 0,
            atime: now,
            ctime: now,
            mtime: now,
            dtime: 0,
            gid: 0,
            links: 1,
            blocks: 0,
            flags: 0,
            osd1: 0,
            block: [0; 15],
            generation: 0,
            file_acl: 0,
            size_high: 0,
            faddr: 0,
            osd2: [0; 12],
            orig_times: [now; 3],
        }
    }

    /// Decode an on-disk inode (`raw` holds at least 128 bytes).
    pub fn parse(raw: &[u8]) -> Inode {
        let mut block = [0u32; 15];
        for (i, b) in block.iter_mut().enumerate() {
            *b = get32(raw, 40 + 4 * i);
        }
        // osd2 minus the owner's high halves, which `uid`/`gid` hold.
        let mut osd2 = [0u8; 12];
        osd2.copy_from_slice(&raw[116..128]);
        osd2[4..8].fill(0);
        let uid = u32::from(get16(raw, 2)) | u32::from(get16(raw, 120)) << 16;
        let gid = u32::from(get16(raw, 24)) | u32::from(get16(raw, 122)) << 16;
        let (atime, ctime, mtime) = (get32(raw, 8), get32(raw, 12), get32(raw, 16));
        Inode {
            mode: get16(raw, 0),
            uid,
            size_lo: get32(raw, 4),
            atime,
            ctime,
            mtime,
            dtime: get32(raw, 20),
            gid,
            links: get16(raw, 26),
            blocks: get32(raw, 28),
            flags: get32(raw, 32),
            osd1: get32(raw, 36),
            block,
            generation: get32(raw, 100),
            file_acl: get32(raw, 104),
            size_high: get32(raw, 108),
            faddr: get32(raw, 112),
            osd2,
            orig_times: [atime, ctime, mtime],
        }
    }

    /// Encode into `raw` (the whole on-disk inode, at least 128 bytes). In
    /// a large inode, the nanosecond fields of times we changed are
    /// cleared so they do not pair stale nanoseconds with new seconds.
    pub fn store(&self, raw: &mut [u8]) {
        put16(raw, 0, self.mode);
        put16(raw, 2, self.uid as u16);
        put32(raw, 4, self.size_lo);
        put32(raw, 8, self.atime);
        put32(raw, 12, self.ctime);
        put32(raw, 16, self.mtime);
        put32(raw, 20, self.dtime);
        put16(raw, 24, self.gid as u16);
        put16(raw, 26, self.links);
        put32(raw, 28, self.blocks);
        put32(raw, 32, self.flags);
        put32(raw, 36, self.osd1);
        for (i, b) in self.block.iter().enumerate() {
            put32(raw, 40 + 4 * i, *b);
        }
        put32(raw, 100, self.generation);
        put32(raw, 104, self.file_acl);
        put32(raw, 108, self.size_high);
        put32(raw, 112, self.faddr);
        raw[116..128].copy_from_slice(&self.osd2);
        put16(raw, 120, (self.uid >> 16) as u16);
        put16(raw, 122, (self.gid >> 16) as u16);
        if raw.len() >= GOOD_OLD_INODE_SIZE + 4 {
            let extra = usize::from(get16(raw, 128));
            // (field offset of the `_extra` word, new time, old time)
            let fields = [
                (132, self.ctime, self.orig_times[1]),
                (136, self.mtime, self.orig_times[2]),
                (140, self.atime, self.orig_times[0]),
            ];
            for (off, new, old) in fields {
                if new != old && off + 4 <= GOOD_OLD_INODE_SIZE + extra && off + 4 <= raw.len() {
                    put32(raw, off, 0);
                }
            }
        }
    }

    /// The file type.
    pub fn kind(&self) -> FileKind {
        FileKind::from_mode(self.mode)
    }

    /// The size in bytes (`i_size_high` counts for regular files only, as
    /// in Linux's ext2: for directories the field is `i_dir_acl`).
    pub fn size(&self) -> u64 {
        if self.kind() == FileKind::Regular {
            u64::from(self.size_high) << 32 | u64::from(self.size_lo)
        } else {
            u64::from(self.size_lo)
        }
    }

    /// Set the size (the high half only for regular files).
    pub fn set_size(&mut self, size: u64) {
        self.size_lo = size as u32;
        if self.kind() == FileKind::Regular {
            self.size_high = (size >> 32) as u32;
        }
    }

    /// Whether this is a symlink whose target is stored in `i_block`.
    pub fn is_fast_symlink(&self, block_size: u32) -> bool {
        let ea = if self.file_acl != 0 {
            block_size / 512
        } else {
            0
        };
        self.kind() == FileKind::Symlink && self.blocks.saturating_sub(ea) == 0
    }

    /// Whether `i_block` holds block pointers (not a fast symlink's target
    /// or a device number).
    pub fn has_block_map(&self, block_size: u32) -> bool {
        match self.kind() {
            FileKind::Regular | FileKind::Directory => true,
            FileKind::Symlink => !self.is_fast_symlink(block_size),
            _ => false,
        }
    }

    /// The public view.
    pub fn stat(&self, ino: Ino) -> Stat {
        Stat {
            ino,
            kind: self.kind(),
            perm: self.mode & !S_IFMT,
            size: self.size(),
            links: self.links,
            uid: self.uid,
            gid: self.gid,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            blocks: u64::from(self.blocks),
        }
    }

    /// The public view of the on-disk inode `raw` (at least 128 bytes),
    /// straight from its bytes, or `None` if it is not in use. The same
    /// as `Inode::parse(raw).stat(ino)` for an inode in use.
    pub fn raw_stat(raw: &[u8], ino: Ino) -> Option<Stat> {
        let (mode, links) = (get16(raw, 0), get16(raw, 26));
        if mode == 0 || links == 0 {
            return None;
        }
        let kind = FileKind::from_mode(mode);
        let size_lo = u64::from(get32(raw, 4));
        let size = if kind == FileKind::Regular {
            u64::from(get32(raw, 108)) << 32 | size_lo
        } else {
            size_lo
        };
        Some(Stat {
            ino,
            kind,
            perm: mode & !S_IFMT,
            size,
            links,
            uid: u32::from(get16(raw, 2)) | u32::from(get16(raw, 120)) << 16,
            gid: u32::from(get16(raw, 24)) | u32::from(get16(raw, 122)) << 16,
            atime: get32(raw, 8),
            mtime: get32(raw, 16),
            ctime: get32(raw, 12),
            blocks: u64::from(get32(raw, 28)),
        })
    }

    /// The bytes of `i_block` (a fast symlink's target lives here).
    pub fn block_bytes(&self) -> [u8; 60] {
        let mut out = [0u8; 60];
        for (i, b) in self.block.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&b.to_le_bytes());
        }
        out
    }

    /// Fill `i_block` from up to 60 bytes (zero-padded).
    pub fn set_block_bytes(&mut self, data: &[u8]) {
        let mut buf = [0u8; 60];
        buf[..data.len()].copy_from_slice(data);
        for (i, b) in self.block.iter_mut().enumerate() {
            *b = get32(&buf, 4 * i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let mut ino = Inode::new(0o100644, 5);
        ino.uid = 0x1234_5678;
        ino.gid = 0x9abc_def0;
        ino.set_size(0x1_2345_6789);
        ino.block[14] = 77;
        let mut raw = [0u8; 256];
        ino.store(&mut raw);
        let back = Inode::parse(&raw);
        assert_eq!(back, ino);
        assert_eq!(back.size(), 0x1_2345_6789);
        assert_eq!(back.kind(), FileKind::Regular);
    }

    #[test]
    fn raw_stat_matches_parse() {
        let mut raw = [0u8; 128];
        let mut x: u32 = 7;
        for round in 0..200 {
            for b in raw.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (x >> 16) as u8;
            }
            if round % 3 == 0 {
                put16(&mut raw, 0, 0o040755);
            }
            if round % 7 == 0 {
                put16(&mut raw, 26, 0);
            }
            let inode = Inode::parse(&raw);
            let want = (inode.mode != 0 && inode.links != 0).then(|| inode.stat(9));
            assert_eq!(Inode::raw_stat(&raw, 9), want);
        }
    }

    #[test]
    fn directories_ignore_size_high() {
        let mut d = Inode::new(0o040755, 0);
        d.size_high = 9;
        d.size_lo = 1024;
        assert_eq!(d.size(), 1024);
    }

    #[test]
    fn changed_times_clear_their_nanoseconds() {
        let mut raw = [0u8; 256];
        Inode::new(0o100644, 5).store(&mut raw);
        put16(&mut raw, 128, 32);
        for off in [132, 136, 140] {
            put32(&mut raw, off, 0xFFFF_FFFF);
        }
        let mut ino = Inode::parse(&raw);
        ino.mtime = 6;
        ino.store(&mut raw);
        assert_eq!(get32(&raw, 132), 0xFFFF_FFFF);
        assert_eq!(get32(&raw, 136), 0);
        assert_eq!(get32(&raw, 140), 0xFFFF_FFFF);
    }

    #[test]
    fn symlink_bytes() {
        let mut s = Inode::new(0o120777, 0);
        s.set_block_bytes(b"hello");
        assert_eq!(&s.block_bytes()[..6], b"hello\0");
        assert!(s.is_fast_symlink(1024));
        assert!(!s.has_block_map(1024));
    }
}

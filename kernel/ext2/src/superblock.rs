//! The superblock: parsing, validation, feature flags and the fields
//! written back at `sync`.

use alloc::vec::Vec;

use crate::bytes::{get16, get32, put32};
use crate::error::{Error, Result};

/// The superblock's byte offset on the device.
pub(crate) const SUPERBLOCK_OFFSET: u64 = 1024;
/// The superblock's size in bytes.
pub(crate) const SUPERBLOCK_SIZE: usize = 1024;
/// `s_magic`.
pub(crate) const MAGIC: u16 = 0xEF53;
/// The size of one group descriptor.
pub(crate) const DESC_SIZE: u32 = 32;

/// Feature flag bits (`s_feature_compat`, `_incompat`, `_ro_compat`).
pub mod feature {
    /// compat: directories have preallocated blocks.
    pub const COMPAT_DIR_PREALLOC: u32 = 0x0001;
    /// compat: the filesystem has an ext3 journal (not replayed here).
    pub const COMPAT_HAS_JOURNAL: u32 = 0x0004;
    /// compat: extended attribute blocks.
    pub const COMPAT_EXT_ATTR: u32 = 0x0008;
    /// compat: blocks reserved for growing the group descriptor table.
    pub const COMPAT_RESIZE_INODE: u32 = 0x0010;
    /// compat: hashed directory indexes (htree).
    pub const COMPAT_DIR_INDEX: u32 = 0x0020;

    /// incompat: directory entries carry a file type byte. The only
    /// incompatible feature supported.
    pub const INCOMPAT_FILETYPE: u32 = 0x0002;
    /// incompat: a journal needs recovery.
    pub const INCOMPAT_RECOVER: u32 = 0x0004;
    /// incompat: extents (ext4).
    pub const INCOMPAT_EXTENTS: u32 = 0x0040;
    /// incompat: 64-bit block numbers (ext4).
    pub const INCOMPAT_64BIT: u32 = 0x0080;

    /// ro_compat: superblock backups only in groups 0, 1 and powers of
    /// 3, 5 and 7.
    pub const RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
    /// ro_compat: files of 2 GiB and more (`i_size_high`).
    pub const RO_COMPAT_LARGE_FILE: u32 = 0x0002;

    /// The incompat bits this crate understands.
    pub const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE;
    /// The ro_compat bits this crate can write with; any other bit makes
    /// the mount read-only.
    pub const RO_COMPAT_SUPPORTED: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE;
}

/// The parsed superblock plus its raw bytes (fields we do not model are
/// written back unchanged).
#[derive(Debug, Clone)]
pub(crate) struct Superblock {
    pub raw: Vec<u8>,
    pub inodes_count: u32,
    pub blocks_count: u32,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub first_data_block: u32,
    pub block_size: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub rev: u32,
    pub first_ino: u32,
    pub inode_size: u32,
    pub compat: u32,
    pub incompat: u32,
    pub ro_compat: u32,
    pub wtime: u32,
    /// Number of block groups.
    pub groups: u32,
    /// Blocks taken by the group descriptor table.
    pub gdt_blocks: u32,
    /// Blocks taken by one group's inode table.
    pub itable_blocks: u32,
}

fn corrupt<T>(what: &'static str) -> Result<T> {
    Err(Error::Corrupt(what))
}

impl Superblock {
    /// Parse and validate the 1024 superblock bytes.
    pub fn parse(raw: Vec<u8>) -> Result<Superblock> {
        if raw.len() != SUPERBLOCK_SIZE {
            return corrupt("short superblock");
        }
        if get16(&raw, 56) != MAGIC {
            return corrupt("bad superblock magic");
        }
        let rev = get32(&raw, 76);
        if rev > 1 {
            return Err(Error::Unsupported(0));
        }
        let log = get32(&raw, 24);
        if log > 2 {
            return Err(Error::Unsupported(0));
        }
        let block_size = 1024u32 << log;
        let inodes_count = get32(&raw, 0);
        let blocks_count = get32(&raw, 4);
        let free_blocks = get32(&raw, 12);
        let free_inodes = get32(&raw, 16);
        let first_data_block = get32(&raw, 20);
        let blocks_per_group = get32(&raw, 32);
        let inodes_per_group = get32(&raw, 40);
        let bits = block_size * 8;
        if first_data_block != u32::from(block_size == 1024) {
            return corrupt("bad first data block");
        }
        if blocks_per_group == 0 || blocks_per_group > bits || !blocks_per_group.is_multiple_of(8) {
            return corrupt("bad blocks per group");
        }
        if inodes_per_group == 0 || inodes_per_group > bits {
            return corrupt("bad inodes per group");
        }
        if blocks_count <= first_data_block + 1 {
            return corrupt("bad block count");
        }
        let groups = (blocks_count - first_data_block).div_ceil(blocks_per_group);
        if u64::from(inodes_count) != u64::from(groups) * u64::from(inodes_per_group) {
            return corrupt("inode count does not match the groups");
        }
        let (inode_size, first_ino, compat, incompat, ro_compat) = if rev == 0 {
            (128, 11, 0, 0, 0)
        } else {
            (
                u32::from(get16(&raw, 88)),
                get32(&raw, 84),
                get32(&raw, 92),
                get32(&raw, 96),
                get32(&raw, 100),
            )
        };
        if !inode_size.is_power_of_two() || inode_size < 128 || inode_size > block_size {
            return corrupt("bad inode size");
        }
        if first_ino < 11 || first_ino > inodes_count {
            return corrupt("bad first inode");
        }
        let unknown = incompat & !feature::INCOMPAT_SUPPORTED;
        if unknown != 0 {
            return Err(Error::Unsupported(unknown));
        }
        if free_blocks > blocks_count || free_inodes > inodes_count {
            return corrupt("free counts exceed totals");
        }
        let gdt_blocks = (u64::from(groups) * u64::from(DESC_SIZE)).div_ceil(u64::from(block_size));
        if u64::from(first_data_block) + 1 + gdt_blocks > u64::from(blocks_count) {
            return corrupt("group descriptors beyond the end");
        }
        let gdt_blocks = gdt_blocks as u32;
        let itable_blocks = (inodes_per_group * inode_size).div_ceil(block_size);
        Ok(Superblock {
            wtime: get32(&raw, 48),
            raw,
            inodes_count,
            blocks_count,
            free_blocks,
            free_inodes,
            first_data_block,
            block_size,
            blocks_per_group,
            inodes_per_group,
            rev,
            first_ino,
            inode_size,
            compat,
            incompat,
            ro_compat,
            groups,
            gdt_blocks,
            itable_blocks,
        })
    }

    /// Patch the modelled fields into `raw` and return it.
    pub fn encode(&mut self) -> &[u8] {
        put32(&mut self.raw, 12, self.free_blocks);
        put32(&mut self.raw, 16, self.free_inodes);
        put32(&mut self.raw, 48, self.wtime);
        if self.rev >= 1 {
            put32(&mut self.raw, 100, self.ro_compat);
        }
        &self.raw
    }

    /// Whether directory entries carry a file type byte.
    pub fn has_filetype(&self) -> bool {
        self.incompat & feature::INCOMPAT_FILETYPE != 0
    }

    /// The number of blocks in group `g` (the last one may be short).
    pub fn group_blocks(&self, g: u32) -> u32 {
        if g + 1 == self.groups {
            self.blocks_count - self.first_data_block - g * self.blocks_per_group
        } else {
            self.blocks_per_group
        }
    }

    /// The first block of group `g`.
    pub fn group_first_block(&self, g: u32) -> u32 {
        self.first_data_block + g * self.blocks_per_group
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::put16;

    fn sample() -> Vec<u8> {
        let mut raw = alloc::vec![0u8; SUPERBLOCK_SIZE];
        put32(&mut raw, 0, 2048);
        put32(&mut raw, 4, 8192);
        put32(&mut raw, 12, 100);
        put32(&mut raw, 16, 100);
        put32(&mut raw, 20, 1);
        put32(&mut raw, 32, 8192);
        put32(&mut raw, 40, 2048);
        put16(&mut raw, 56, MAGIC);
        put32(&mut raw, 76, 1);
        put32(&mut raw, 84, 11);
        put16(&mut raw, 88, 256);
        put32(&mut raw, 96, feature::INCOMPAT_FILETYPE);
        raw
    }

    #[test]
    fn parses_a_valid_superblock() {
        let sb = Superblock::parse(sample()).unwrap();
        assert_eq!(sb.block_size, 1024);
        assert_eq!(sb.groups, 1);
        assert_eq!(sb.gdt_blocks, 1);
        assert_eq!(sb.itable_blocks, 512);
        assert_eq!(sb.group_blocks(0), 8191);
    }

    #[test]
    fn rejects_bad_fields() {
        let mut raw = sample();
        put32(
            &mut raw,
            96,
            feature::INCOMPAT_EXTENTS | feature::INCOMPAT_FILETYPE,
        );
        assert_eq!(
            Superblock::parse(raw).unwrap_err(),
            Error::Unsupported(feature::INCOMPAT_EXTENTS)
        );
        let mut raw = sample();
        put16(&mut raw, 56, 0);
        assert!(matches!(Superblock::parse(raw), Err(Error::Corrupt(_))));
        let mut raw = sample();
        put32(&mut raw, 24, 3);
        assert_eq!(Superblock::parse(raw).unwrap_err(), Error::Unsupported(0));
        let mut raw = sample();
        put32(&mut raw, 0, 4096);
        assert!(matches!(Superblock::parse(raw), Err(Error::Corrupt(_))));
        let mut raw = sample();
        put32(&mut raw, 32, 0);
        assert!(matches!(Superblock::parse(raw), Err(Error::Corrupt(_))));
    }
}

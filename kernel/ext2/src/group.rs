//! Block group descriptors.

use crate::bytes::{get16, get32, put16};

/// One group descriptor (the fields ext2 uses; the rest of the 32 bytes is
/// kept in the raw table and written back unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupDesc {
    pub block_bitmap: u32,
    pub inode_bitmap: u32,
    pub inode_table: u32,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub used_dirs: u32,
}

impl GroupDesc {
    /// Parse a 32-byte descriptor.
    pub fn parse(b: &[u8]) -> GroupDesc {
        GroupDesc {
            block_bitmap: get32(b, 0),
            inode_bitmap: get32(b, 4),
            inode_table: get32(b, 8),
            free_blocks: u32::from(get16(b, 12)),
            free_inodes: u32::from(get16(b, 14)),
            used_dirs: u32::from(get16(b, 16)),
        }
    }

    /// Store the counters (the only fields that change) into a 32-byte
    /// descriptor.
    pub fn store_counts(&self, b: &mut [u8]) {
        // The counts never exceed blocks/inodes per group (<= 32768).
        put16(b, 12, self.free_blocks as u16);
        put16(b, 14, self.free_inodes as u16);
        put16(b, 16, self.used_dirs as u16);
    }
}

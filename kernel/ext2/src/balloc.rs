//! Block and inode allocation over the group bitmaps, keeping the group
//! descriptor and superblock free counts exact.

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::Ino;

/// The first clear bit in `bits[start..end)`.
pub(crate) fn find_zero(bits: &[u8], start: usize, end: usize) -> Option<usize> {
    let mut i = start;
    while i < end {
        if i.is_multiple_of(64) && i + 64 <= end {
            let word = u64::from_le_bytes(bits[i / 8..i / 8 + 8].try_into().ok()?);
            if word == u64::MAX {
                i += 64;
                continue;
            }
            return Some(i + word.trailing_ones() as usize);
        }
        if bits[i / 8] & (1 << (i % 8)) == 0 {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn test_bit(bits: &[u8], i: usize) -> bool {
    bits[i / 8] & (1 << (i % 8)) != 0
}

fn set_bit(bits: &mut [u8], i: usize) {
    bits[i / 8] |= 1 << (i % 8);
}

fn clear_bit(bits: &mut [u8], i: usize) {
    bits[i / 8] &= !(1 << (i % 8));
}

impl<D: BlockDevice> Fs<D> {
    /// Allocate a block, the first free one at or after `goal` (wrapping
    /// around the groups).
    pub(crate) fn alloc_block(&mut self, goal: u32) -> Result<u32> {
        let fdb = self.sb.first_data_block;
        let bpg = self.sb.blocks_per_group;
        let goal = if goal >= fdb && goal < self.sb.blocks_count {
            goal
        } else {
            fdb
        };
        let ngroups = self.sb.groups;
        let g0 = (goal - fdb) / bpg;
        let start0 = ((goal - fdb) % bpg) as usize;
        for i in 0..=ngroups {
            let g = (g0 + i) % ngroups;
            let size = self.sb.group_blocks(g) as usize;
            let (start, end) = if i == 0 {
                (start0, size)
            } else if i == ngroups {
                (0, start0.min(size))
            } else {
                (0, size)
            };
            if start >= end || self.groups[g as usize].free_blocks == 0 {
                continue;
            }
            let bitmap = self.groups[g as usize].block_bitmap;
            let found = find_zero(self.cache.get(&mut self.dev, bitmap)?, start, end);
            if let Some(bit) = found {
                set_bit(self.cache.get_mut(&mut self.dev, bitmap)?, bit);
                self.groups[g as usize].free_blocks -= 1;
                self.group_changed(g);
                self.sb.free_blocks = self.sb.free_blocks.saturating_sub(1);
                self.sb_changed();
                return Ok(self.sb.group_first_block(g) + bit as u32);
            }
        }
        Err(Error::NoSpace)
    }

    /// Free block `b` (dropping it from the cache).
    pub(crate) fn free_block(&mut self, b: u32) -> Result<()> {
        self.check_block(b)?;
        let rel = b - self.sb.first_data_block;
        let g = rel / self.sb.blocks_per_group;
        let bit = (rel % self.sb.blocks_per_group) as usize;
        let bitmap = self.groups[g as usize].block_bitmap;
        let bits = self.cache.get_mut(&mut self.dev, bitmap)?;
        if !test_bit(bits, bit) {
            return Err(Error::Corrupt("freeing a free block"));
        }
        clear_bit(bits, bit);
        let gd = &mut self.groups[g as usize];
        if gd.free_blocks >= self.sb.group_blocks(g) {
            return Err(Error::Corrupt("group free block count overflow"));
        }
        gd.free_blocks += 1;
        self.group_changed(g);
        self.sb.free_blocks = (self.sb.free_blocks + 1).min(self.sb.blocks_count);
        self.sb_changed();
        self.cache.discard(&mut self.dev, b);
        Ok(())
    }

    /// Allocate an inode, preferring the group of `parent`.
    pub(crate) fn alloc_inode(&mut self, parent: Ino, is_dir: bool) -> Result<Ino> {
        let ipg = self.sb.inodes_per_group;
        let ngroups = self.sb.groups;
        let pg = if parent >= 1 && parent <= self.sb.inodes_count {
            (parent - 1) / ipg
        } else {
            0
        };
        for i in 0..ngroups {
            let g = (pg + i) % ngroups;
            if self.groups[g as usize].free_inodes == 0 {
                continue;
            }
            // Inodes below s_first_ino are reserved.
            let first = u64::from(self.sb.first_ino - 1).saturating_sub(u64::from(g * ipg));
            if first >= u64::from(ipg) {
                continue;
            }
            let bitmap = self.groups[g as usize].inode_bitmap;
            let bits = self.cache.get(&mut self.dev, bitmap)?;
            let Some(bit) = find_zero(bits, first as usize, ipg as usize) else {
                continue;
            };
            let ino = g * ipg + bit as u32 + 1;
            if self.read_inode(ino)?.links != 0 {
                return Err(Error::Corrupt("inode bitmap marks a used inode free"));
            }
            set_bit(self.cache.get_mut(&mut self.dev, bitmap)?, bit);
            let gd = &mut self.groups[g as usize];
            gd.free_inodes -= 1;
            if is_dir {
                gd.used_dirs += 1;
            }
            self.group_changed(g);
            self.sb.free_inodes = self.sb.free_inodes.saturating_sub(1);
            self.sb_changed();
            return Ok(ino);
        }
        Err(Error::NoSpace)
    }

    /// Mark inode `ino` free in its bitmap and the counts.
    pub(crate) fn free_inode_bit(&mut self, ino: Ino, is_dir: bool) -> Result<()> {
        if ino == 0 || ino > self.sb.inodes_count {
            return Err(Error::Corrupt("inode number out of range"));
        }
        let ipg = self.sb.inodes_per_group;
        let g = (ino - 1) / ipg;
        let bit = ((ino - 1) % ipg) as usize;
        let bitmap = self.groups[g as usize].inode_bitmap;
        let bits = self.cache.get_mut(&mut self.dev, bitmap)?;
        if !test_bit(bits, bit) {
            return Err(Error::Corrupt("freeing a free inode"));
        }
        clear_bit(bits, bit);
        let gd = &mut self.groups[g as usize];
        if gd.free_inodes >= ipg {
            return Err(Error::Corrupt("group free inode count overflow"));
        }
        gd.free_inodes += 1;
        if is_dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        self.group_changed(g);
        self.sb.free_inodes = (self.sb.free_inodes + 1).min(self.sb.inodes_count);
        self.sb_changed();
        Ok(())
    }

    /// The first block of the group holding inode `ino` (an allocation
    /// goal for its data).
    pub(crate) fn inode_goal(&self, ino: Ino) -> u32 {
        let g = ino.saturating_sub(1) / self.sb.inodes_per_group;
        self.sb.group_first_block(g.min(self.sb.groups - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_zero_bits() {
        let mut bits = [0xFFu8; 32];
        assert_eq!(find_zero(&bits, 0, 256), None);
        bits[20] = 0b1110_1111;
        assert_eq!(find_zero(&bits, 0, 256), Some(164));
        assert_eq!(find_zero(&bits, 165, 256), None);
        assert_eq!(find_zero(&bits, 3, 164), None);
        bits[0] = 0b0111_1111;
        assert_eq!(find_zero(&bits, 0, 256), Some(7));
        assert_eq!(find_zero(&bits, 0, 7), None);
        clear_bit(&mut bits, 250);
        assert_eq!(find_zero(&bits, 165, 256), Some(250));
        set_bit(&mut bits, 250);
        assert!(test_bit(&bits, 250));
    }
}

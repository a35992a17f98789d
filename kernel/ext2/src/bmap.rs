//! Block maps: logical to physical block translation through direct,
//! single, double and triple indirect blocks; allocation along the path;
//! freeing the tail of a map (truncate).

use alloc::vec::Vec;

use crate::bytes::{get32, put32};
use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::Inode;

/// Direct pointers in `i_block`.
pub(crate) const NDIR: u64 = 12;

impl<D: BlockDevice> Fs<D> {
    /// Block pointers per indirect block.
    fn ppb(&self) -> u64 {
        u64::from(self.sb.block_size / 4)
    }

    /// The largest number of blocks a block map can address.
    pub(crate) fn max_blocks(&self) -> u64 {
        let p = self.ppb();
        NDIR + p + p * p + p * p * p
    }

    /// The path to logical block `lblk`: the depth (0 = direct .. 3 =
    /// triple indirect) and the index at each level, starting in `i_block`.
    fn block_path(&self, lblk: u64) -> Result<(usize, [usize; 4])> {
        let p = self.ppb();
        let mut l = lblk;
        if l < NDIR {
            return Ok((0, [l as usize, 0, 0, 0]));
        }
        l -= NDIR;
        if l < p {
            return Ok((1, [12, l as usize, 0, 0]));
        }
        l -= p;
        if l < p * p {
            return Ok((2, [13, (l / p) as usize, (l % p) as usize, 0]));
        }
        l -= p * p;
        if l < p * p * p {
            let (a, b, c) = (l / (p * p), (l / p) % p, l % p);
            return Ok((3, [14, a as usize, b as usize, c as usize]));
        }
        Err(Error::TooBig)
    }

    /// The physical block holding logical block `lblk`, `None` in a hole.
    pub(crate) fn bmap(&mut self, inode: &Inode, lblk: u64) -> Result<Option<u32>> {
        let (depth, idx) = self.block_path(lblk)?;
        let mut b = inode.block[idx[0]];
        for &i in &idx[1..=depth] {
            if b == 0 {
                return Ok(None);
            }
            self.check_block(b)?;
            b = get32(self.cache.get(&mut self.dev, b)?, i * 4);
        }
        if b == 0 {
            return Ok(None);
        }
        self.check_block(b)?;
        Ok(Some(b))
    }

    /// Map logical block `lblk`, allocating it (and missing indirect
    /// blocks, zeroed) near `goal` if needed. Returns the physical block
    /// and whether the data block is new (its contents then are not
    /// initialised: the caller must fill it). Updates `inode.block` and
    /// `inode.blocks` but does not write the inode.
    pub(crate) fn bmap_alloc(
        &mut self,
        inode: &mut Inode,
        lblk: u64,
        goal: u32,
    ) -> Result<(u32, bool)> {
        let (depth, idx) = self.block_path(lblk)?;
        let per = self.sb.block_size / 512;
        let mut parent: Option<u32> = None;
        let mut result = (0, false);
        for (level, &i) in idx[..=depth].iter().enumerate() {
            let cur = match parent {
                None => inode.block[i],
                Some(p) => get32(self.cache.get(&mut self.dev, p)?, i * 4),
            };
            result = if cur == 0 {
                // i_blocks must be able to count the new block.
                let charged = inode.blocks.checked_add(per).ok_or(Error::TooBig)?;
                let nb = self.alloc_block(goal)?;
                inode.blocks = charged;
                if level < depth {
                    self.cache.get_zeroed(&mut self.dev, nb)?;
                }
                match parent {
                    None => inode.block[i] = nb,
                    Some(p) => put32(self.cache.get_mut(&mut self.dev, p)?, i * 4, nb),
                }
                (nb, true)
            } else {
                self.check_block(cur)?;
                (cur, false)
            };
            parent = Some(result.0);
        }
        Ok(result)
    }

    /// The pointers stored in indirect block `b`.
    fn read_ptrs(&mut self, b: u32) -> Result<Vec<u32>> {
        self.check_block(b)?;
        let data = self.cache.get(&mut self.dev, b)?;
        Ok(data.chunks_exact(4).map(|c| get32(c, 0)).collect())
    }

    /// Free every block mapped at logical block `from` or beyond, and the
    /// indirect blocks left without any use. Updates `inode.block` and
    /// `inode.blocks` (also when an error stops the walk half way).
    pub(crate) fn free_blocks_from(&mut self, inode: &mut Inode, from: u64) -> Result<()> {
        let mut freed = 0u64;
        let r = self.free_blocks_inner(inode, from, &mut freed);
        let per = u64::from(self.sb.block_size / 512);
        let dec = u32::try_from(freed * per).unwrap_or(u32::MAX);
        inode.blocks = inode.blocks.saturating_sub(dec);
        r
    }

    fn free_blocks_inner(&mut self, inode: &mut Inode, from: u64, freed: &mut u64) -> Result<()> {
        for i in from.min(NDIR) as usize..NDIR as usize {
            let b = inode.block[i];
            if b != 0 {
                self.free_block(b)?;
                inode.block[i] = 0;
                *freed += 1;
            }
        }
        let p = self.ppb();
        let (mut base, mut span) = (NDIR, p);
        for depth in 1..=3usize {
            let slot = 11 + depth;
            let root = inode.block[slot];
            if root != 0 {
                if from <= base {
                    inode.block[slot] = 0;
                    self.free_tree(root, depth, freed)?;
                } else if from < base + span {
                    self.free_partial(root, depth, from - base, freed)?;
                }
            }
            base += span;
            span *= p;
        }
        Ok(())
    }

    /// Free the tree rooted at `b` (an indirect block of `depth` levels, or
    /// a data block when `depth == 0`).
    fn free_tree(&mut self, b: u32, depth: usize, freed: &mut u64) -> Result<()> {
        if depth > 0 {
            for child in self.read_ptrs(b)? {
                if child != 0 {
                    self.free_tree(child, depth - 1, freed)?;
                }
            }
        }
        self.free_block(b)?;
        *freed += 1;
        Ok(())
    }

    /// Free the blocks at relative logical offset `rel > 0` and beyond
    /// under indirect block `b` of `depth` levels; `b` itself stays.
    fn free_partial(&mut self, b: u32, depth: usize, rel: u64, freed: &mut u64) -> Result<()> {
        let ptrs = self.read_ptrs(b)?;
        let child_span = self.ppb().pow(depth as u32 - 1);
        let first = (rel / child_span) as usize;
        let mut full_from = first;
        if !rel.is_multiple_of(child_span) {
            if ptrs[first] != 0 {
                self.free_partial(ptrs[first], depth - 1, rel % child_span, freed)?;
            }
            full_from = first + 1;
        }
        for (i, &child) in ptrs.iter().enumerate().skip(full_from) {
            if child != 0 {
                put32(self.cache.get_mut(&mut self.dev, b)?, i * 4, 0);
                self.free_tree(child, depth - 1, freed)?;
            }
        }
        Ok(())
    }
}

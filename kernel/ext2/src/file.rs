//! Regular file data: `read`, `write` and `truncate`.

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileKind, Ino, Inode};

/// Largest regular file: what `i_blocks` (32 bits of 512-byte units) can
/// count, i.e. just under 2 TiB.
const MAX_BYTES_BY_IBLOCKS: u64 = (u32::MAX as u64) * 512;

impl<D: BlockDevice> Fs<D> {
    /// The largest size a regular file can have.
    pub fn max_file_size(&self) -> u64 {
        let mapped = self.max_blocks() * u64::from(self.sb.block_size);
        let limit = mapped.min(MAX_BYTES_BY_IBLOCKS);
        if self.sb.rev == 0 {
            limit.min((1 << 31) - 1)
        } else {
            limit
        }
    }

    /// Check that `inode` is a regular file.
    fn expect_regular(inode: &Inode) -> Result<()> {
        match inode.kind() {
            FileKind::Regular => Ok(()),
            FileKind::Directory => Err(Error::IsDir),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// Read from regular file `ino` at byte `offset` into `buf`. Returns the
    /// bytes read: fewer than `buf.len()` only at the end of the file.
    /// Holes read as zeros. Access times are not updated.
    pub fn read(&mut self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.read_live_inode(ino)?;
        Self::expect_regular(&inode)?;
        let size = inode.size();
        if offset >= size || buf.is_empty() {
            return Ok(0);
        }
        let n = (size - offset).min(buf.len() as u64) as usize;
        self.read_data(&inode, offset, &mut buf[..n])?;
        Ok(n)
    }

    /// Read `buf.len()` bytes of `inode`'s block map at `offset` (no size
    /// check). Whole blocks not in the cache are read straight into `buf`,
    /// runs of consecutive blocks in one device request.
    pub(crate) fn read_data(&mut self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        let mut done = 0usize;
        // A pending direct read: (first physical block, start in buf, blocks).
        let mut run: Option<(u32, usize, usize)> = None;
        while done < buf.len() {
            let pos = offset + done as u64;
            let (lblk, boff) = (pos / bs, (pos % bs) as usize);
            let chunk = (bs as usize - boff).min(buf.len() - done);
            let phys = self.bmap(inode, lblk)?;
            let direct = phys.filter(|&p| chunk == bs as usize && !self.cache.contains(p));
            if let Some(p) = direct {
                run = match run {
                    Some((start, at, n)) if u64::from(start) + n as u64 == u64::from(p) => {
                        Some((start, at, n + 1))
                    }
                    other => {
                        self.read_run(other, buf)?;
                        Some((p, done, 1))
                    }
                };
            } else {
                self.read_run(run.take(), buf)?;
                let out = &mut buf[done..done + chunk];
                match phys {
                    None => out.fill(0),
                    Some(p) => {
                        out.copy_from_slice(&self.cache.get(&mut self.dev, p)?[boff..][..chunk])
                    }
                }
            }
            done += chunk;
        }
        self.read_run(run, buf)
    }

    fn read_run(&mut self, run: Option<(u32, usize, usize)>, buf: &mut [u8]) -> Result<()> {
        if let Some((start, at, n)) = run {
            let bs = self.sb.block_size as usize;
            let off = u64::from(start) * bs as u64;
            self.dev.read_at(off, &mut buf[at..at + n * bs])?;
        }
        Ok(())
    }

    /// Write `data` to regular file `ino` at byte `offset`, allocating
    /// blocks and growing the file as needed. Returns the bytes written,
    /// fewer than `data.len()` only when space ran out part way (`NoSpace`
    /// if nothing could be written) or at the maximum file size.
    pub fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<usize> {
        self.check_writable()?;
        self.check_modifiable(ino)?;
        let mut inode = self.read_live_inode(ino)?;
        Self::expect_regular(&inode)?;
        if data.is_empty() {
            return Ok(0);
        }
        let max = self.max_file_size();
        if offset >= max {
            return Err(Error::TooBig);
        }
        let len = (data.len() as u64).min(max - offset) as usize;
        self.allow_size(offset + len as u64)?;
        let old_size = inode.size();
        if offset > old_size {
            self.zero_tail(&inode, old_size)?;
        }
        let bs = u64::from(self.sb.block_size);
        let mut done = 0usize;
        let mut goal = None;
        let mut result = Ok(());
        while done < len {
            let pos = offset + done as u64;
            let (lblk, boff) = (pos / bs, (pos % bs) as usize);
            let chunk = (bs as usize - boff).min(len - done);
            let g = match goal {
                Some(g) => g,
                None => self.goal_for(ino, &inode, lblk)?,
            };
            let (phys, new) = match self.bmap_alloc(&mut inode, lblk, g) {
                Ok(x) => x,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            goal = Some(phys + 1);
            let src = &data[done..done + chunk];
            let r = if new || chunk == bs as usize {
                self.cache
                    .get_zeroed(&mut self.dev, phys)
                    .map(|b| b[boff..boff + chunk].copy_from_slice(src))
            } else {
                self.cache
                    .get_mut(&mut self.dev, phys)
                    .map(|b| b[boff..boff + chunk].copy_from_slice(src))
            };
            if let Err(e) = r {
                result = Err(e);
                break;
            }
            done += chunk;
        }
        let end = offset + done as u64;
        if end > old_size {
            inode.set_size(end);
        }
        if done > 0 {
            let now = self.now();
            inode.mtime = now;
            inode.ctime = now;
        }
        self.write_inode(ino, &inode)?;
        match result {
            Err(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    /// An allocation goal for logical block `lblk` of `inode`: right after
    /// the block before it, or the start of the inode's group.
    pub(crate) fn goal_for(&mut self, ino: Ino, inode: &Inode, lblk: u64) -> Result<u32> {
        if lblk > 0 {
            if let Some(p) = self.bmap(inode, lblk - 1)? {
                return Ok(p + 1);
            }
        }
        Ok(self.inode_goal(ino))
    }

    /// Zero the bytes after `size` in the block holding byte `size - 1`
    /// (so that growing the file exposes zeros, not old data).
    fn zero_tail(&mut self, inode: &Inode, size: u64) -> Result<()> {
        let bs = u64::from(self.sb.block_size);
        if size.is_multiple_of(bs) {
            return Ok(());
        }
        if let Some(p) = self.bmap(inode, size / bs)? {
            self.cache.get_mut(&mut self.dev, p)?[(size % bs) as usize..].fill(0);
        }
        Ok(())
    }

    /// Set the size of regular file `ino`: shrinking frees the blocks past
    /// the end (indirect blocks included); growing leaves a hole.
    pub fn truncate(&mut self, ino: Ino, size: u64) -> Result<()> {
        self.check_writable()?;
        self.check_modifiable(ino)?;
        let mut inode = self.read_live_inode(ino)?;
        Self::expect_regular(&inode)?;
        if size > self.max_file_size() {
            return Err(Error::TooBig);
        }
        self.allow_size(size)?;
        let old = inode.size();
        let bs = u64::from(self.sb.block_size);
        let r = if size < old {
            let r = self.free_blocks_from(&mut inode, size.div_ceil(bs));
            r.and_then(|()| self.zero_tail(&inode, size))
        } else {
            self.zero_tail(&inode, old)
        };
        inode.set_size(size);
        let now = self.now();
        inode.mtime = now;
        inode.ctime = now;
        self.write_inode(ino, &inode)?;
        r
    }
}

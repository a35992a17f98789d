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
        let mut done = 0;
        self.read_with(ino, offset, buf.len(), &mut |chunk| {
            buf[done..done + chunk.len()].copy_from_slice(chunk);
            done += chunk.len();
            true
        })
    }

    /// Read up to `len` bytes of regular file `ino` at byte `offset`,
    /// handing them to `sink` piece by piece, in order, straight from the
    /// block cache or the read-ahead buffers (no intermediate copy). The
    /// sink returns `false` to stop early. Returns the bytes handed over:
    /// fewer than `len` only at the end of the file or when the sink
    /// stopped. Sequential reads are served from read-ahead: large device
    /// requests, the next one started in the background.
    pub fn read_with(
        &mut self,
        ino: Ino,
        offset: u64,
        len: usize,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<usize> {
        let inode = self.read_live_inode(ino)?;
        Self::expect_regular(&inode)?;
        let size = inode.size();
        if offset >= size || len == 0 {
            return Ok(0);
        }
        let n = (size - offset).min(len as u64) as usize;
        let bs = u64::from(self.sb.block_size);
        let first_lblk = offset / bs;
        let sequential = offset == 0 || self.cache.ra.last == Some((ino, first_lblk));
        let r = self.read_stream(&inode, offset, n, sequential, sink);
        let done = *r.as_ref().unwrap_or(&0);
        self.cache.ra.last = Some((ino, (offset + done as u64).div_ceil(bs)));
        r
    }

    /// The run of physically consecutive blocks that holds logical blocks
    /// `lblk..` of `inode`, starting at physical block `phys`: its length,
    /// at most `max` blocks and not past `end` (a logical block number).
    fn run_from(&mut self, inode: &Inode, lblk: u64, phys: u32, end: u64, max: u32) -> Result<u32> {
        let mut n = 1u32;
        while n < max && lblk + u64::from(n) < end {
            match self.bmap(inode, lblk + u64::from(n))? {
                Some(p) if u64::from(p) == u64::from(phys) + u64::from(n) => n += 1,
                _ => break,
            }
        }
        Ok(n)
    }

    /// The body of [`read_with`](Self::read_with): `len` bytes at `offset`,
    /// all inside the file.
    fn read_stream(
        &mut self,
        inode: &Inode,
        offset: u64,
        len: usize,
        sequential: bool,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<usize> {
        /// What holes read as: aligned, so that copying it out takes
        /// `memcpy`'s word-at-a-time path.
        #[repr(align(64))]
        struct Zeros([u8; 4096]);
        static ZEROS: Zeros = Zeros([0; 4096]);
        let zeros = &ZEROS.0;
        let bs = u64::from(self.sb.block_size);
        let file_blocks = inode.size().div_ceil(bs);
        let want_end = (offset + len as u64).div_ceil(bs);
        let max = self.cache.ra.max_blocks();
        let mut done = 0usize;
        while done < len {
            let pos = offset + done as u64;
            let (lblk, boff) = (pos / bs, (pos % bs) as usize);
            let chunk = (bs as usize - boff).min(len - done);
            let Some(p) = self.bmap(inode, lblk)? else {
                let mut left = chunk;
                while left > 0 {
                    let k = left.min(zeros.len());
                    if !sink(&zeros[..k]) {
                        return Ok(done + chunk - left);
                    }
                    left -= k;
                }
                done += chunk;
                continue;
            };
            if let Some(data) = self.cache.staged(p) {
                if !sink(&data[boff..][..chunk]) {
                    return Ok(done);
                }
                done += chunk;
                continue;
            }
            if self.cache.contains(p) {
                let data = &self.cache.get(&mut self.dev, p)?[boff..][..chunk];
                if !sink(data) {
                    return Ok(done);
                }
                done += chunk;
                continue;
            }
            let seg = match self.cache.ra.find(&mut self.dev, p) {
                Some(i) => i,
                None => {
                    // Sequential: a whole segment; otherwise what was asked.
                    let end = if sequential { file_blocks } else { want_end };
                    let count = self.run_from(inode, lblk, p, end, max)?;
                    self.cache.ra_fill(&mut self.dev, p, count)?
                }
            };
            if sequential && self.cache.ra.take_next(seg) {
                // Start the run after this segment in the background.
                let next = lblk + (self.cache.ra.end(seg) - u64::from(p));
                if next < file_blocks {
                    if let Some(np) = self.bmap(inode, next)? {
                        if !self.cache.contains(np) && !self.cache.ra.covers(np) {
                            let count = self.run_from(inode, next, np, file_blocks, max)?;
                            self.cache.ra_prefetch(&mut self.dev, np, count);
                        }
                    }
                }
            }
            let data = &self.cache.ra.block(seg, p)[boff..][..chunk];
            if !sink(data) {
                return Ok(done);
            }
            done += chunk;
        }
        Ok(done)
    }

    /// Read `buf.len()` bytes of `inode`'s block map at `offset` (no size
    /// check); holes read as zeros.
    pub(crate) fn read_data(&mut self, inode: &Inode, offset: u64, buf: &mut [u8]) -> Result<()> {
        let mut done = 0;
        self.read_stream(inode, offset, buf.len(), false, &mut |chunk| {
            buf[done..done + chunk.len()].copy_from_slice(chunk);
            done += chunk.len();
            true
        })?;
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
            let r = if chunk == bs as usize {
                self.cache.overwrite(&mut self.dev, phys, src, new)
            } else if new {
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

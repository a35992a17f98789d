//! Namespace operations on inodes: create, mkdir, symlink, link, unlink,
//! rmdir, rename, readlink, and releasing inodes whose last link went.

use alloc::vec;
use alloc::vec::Vec;

use crate::bytes::get32;
use crate::device::BlockDevice;
use crate::dir::check_name;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileKind, Ino, Inode, LINK_MAX, ROOT_INO};

/// Magic number of an extended attribute block.
const XATTR_MAGIC: u32 = 0xEA02_0000;

/// Longest fast symlink target (stored in `i_block`; e2fsck wants < 60).
const FAST_SYMLINK_MAX: usize = 59;

/// The most `..` steps taken when checking that a directory is not moved
/// into its own subtree.
const MAX_DEPTH: usize = 4096;

fn is_dot_or_dotdot(name: &[u8]) -> bool {
    name == b"." || name == b".."
}

impl<D: BlockDevice> Fs<D> {
    /// Allocate and initialise a new inode named `name` in `dir`.
    /// `setup` gives it its contents (and may allocate blocks); if it or
    /// the entry insertion fails, everything is undone.
    fn make_node(
        &mut self,
        dir: Ino,
        name: &[u8],
        mode: u16,
        setup: impl FnOnce(&mut Self, Ino, &mut Inode) -> Result<()>,
    ) -> Result<Ino> {
        self.check_writable()?;
        if is_dot_or_dotdot(name) {
            return Err(Error::Exists);
        }
        let kind = FileKind::from_mode(mode);
        let is_dir = kind == FileKind::Directory;
        let parent = self.read_dir_inode(dir)?;
        if is_dir && parent.links >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        let slot = self.prepare_insert(dir, name)?;
        let ino = self.alloc_inode(dir, is_dir)?;
        let mut inode = Inode::new(mode, self.now());
        inode.generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);
        let r = setup(self, ino, &mut inode)
            .and_then(|()| self.write_new_inode(ino, &inode))
            .and_then(|()| self.dir_insert(dir, slot, name, ino, kind));
        if let Err(e) = r {
            // Undo: free what `setup` allocated and the inode itself.
            let _ = self.release_inode(ino, &mut inode);
            return Err(e);
        }
        if is_dir {
            self.update_inode(dir, |p| p.links += 1)?;
        }
        Ok(ino)
    }

    /// Create an empty regular file `name` in `dir` with permissions
    /// `perm & 0o7777`.
    pub fn create(&mut self, dir: Ino, name: impl AsRef<[u8]>, perm: u16) -> Result<Ino> {
        let mode = FileKind::Regular.mode_bits() | (perm & 0o7777);
        self.make_node(dir, name.as_ref(), mode, |_, _, _| Ok(()))
    }

    /// Create directory `name` in `dir` (with `.` and `..`).
    pub fn mkdir(&mut self, dir: Ino, name: impl AsRef<[u8]>, perm: u16) -> Result<Ino> {
        let mode = FileKind::Directory.mode_bits() | (perm & 0o7777);
        self.make_node(dir, name.as_ref(), mode, |fs, ino, inode| {
            inode.links = 2;
            let goal = fs.inode_goal(ino);
            let (phys, _) = fs.bmap_alloc(inode, 0, goal)?;
            fs.init_dir_block(phys, ino, dir)?;
            inode.set_size(u64::from(fs.sb.block_size));
            Ok(())
        })
    }

    /// Create symbolic link `name` in `dir` pointing to `target`. Targets
    /// under 60 bytes live in the inode, longer ones in a data block.
    pub fn symlink(
        &mut self,
        dir: Ino,
        name: impl AsRef<[u8]>,
        target: impl AsRef<[u8]>,
    ) -> Result<Ino> {
        let target = target.as_ref();
        if target.is_empty() || target.contains(&0) {
            return Err(Error::InvalidArgument);
        }
        if target.len() >= self.sb.block_size as usize {
            return Err(Error::NameTooLong);
        }
        let mode = FileKind::Symlink.mode_bits() | 0o777;
        self.make_node(dir, name.as_ref(), mode, |fs, ino, inode| {
            if target.len() <= FAST_SYMLINK_MAX {
                inode.set_block_bytes(target);
            } else {
                let goal = fs.inode_goal(ino);
                let (phys, _) = fs.bmap_alloc(inode, 0, goal)?;
                fs.cache.get_zeroed(&mut fs.dev, phys)?[..target.len()].copy_from_slice(target);
            }
            inode.set_size(target.len() as u64);
            Ok(())
        })
    }

    /// The target of symbolic link `ino`.
    pub fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>> {
        let inode = self.read_live_inode(ino)?;
        if inode.kind() != FileKind::Symlink {
            return Err(Error::InvalidArgument);
        }
        let size = inode.size() as usize;
        if inode.is_fast_symlink(self.sb.block_size) {
            if size >= 60 {
                return Err(Error::Corrupt("fast symlink too long"));
            }
            return Ok(inode.block_bytes()[..size].to_vec());
        }
        if size >= self.sb.block_size as usize {
            return Err(Error::Corrupt("symlink too long"));
        }
        let mut out = vec![0u8; size];
        self.read_data(&inode, 0, &mut out)?;
        Ok(out)
    }

    /// Add a hard link `name` in `dir` to `ino` (not a directory).
    pub fn link(&mut self, ino: Ino, dir: Ino, name: impl AsRef<[u8]>) -> Result<()> {
        self.check_writable()?;
        self.check_modifiable(ino)?;
        let name = name.as_ref();
        let inode = self.read_live_inode(ino)?;
        if inode.kind() == FileKind::Directory {
            return Err(Error::IsDir);
        }
        if inode.links >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        if is_dot_or_dotdot(name) {
            return Err(Error::Exists);
        }
        let slot = self.prepare_insert(dir, name)?;
        self.dir_insert(dir, slot, name, ino, inode.kind())?;
        let now = self.now();
        self.update_inode(ino, |i| {
            i.links += 1;
            i.ctime = now;
        })?;
        Ok(())
    }

    /// Remove entry `name` (not a directory) from `dir`; the inode and its
    /// blocks are freed when its last link goes.
    pub fn unlink(&mut self, dir: Ino, name: impl AsRef<[u8]>) -> Result<()> {
        self.check_writable()?;
        let name = name.as_ref();
        if is_dot_or_dotdot(name) {
            return Err(Error::InvalidArgument);
        }
        let loc = self.find_entry(dir, name)?.ok_or(Error::NotFound)?;
        let inode = self.read_inode(loc.inode)?;
        if inode.kind() == FileKind::Directory {
            return Err(Error::IsDir);
        }
        self.dir_remove(dir, &loc)?;
        self.drop_link(loc.inode)
    }

    /// Remove the empty directory `name` from `dir`.
    pub fn rmdir(&mut self, dir: Ino, name: impl AsRef<[u8]>) -> Result<()> {
        self.check_writable()?;
        let name = name.as_ref();
        if is_dot_or_dotdot(name) {
            return Err(Error::InvalidArgument);
        }
        let loc = self.find_entry(dir, name)?.ok_or(Error::NotFound)?;
        let mut inode = self.read_inode(loc.inode)?;
        if inode.kind() != FileKind::Directory {
            return Err(Error::NotDir);
        }
        if loc.inode == ROOT_INO || loc.inode == dir {
            return Err(Error::InvalidArgument);
        }
        if !self.dir_is_empty(&inode)? {
            return Err(Error::NotEmpty);
        }
        self.dir_remove(dir, &loc)?;
        self.release_unless_pinned(loc.inode, &mut inode)?;
        self.update_inode(dir, |d| d.links = d.links.saturating_sub(1))?;
        Ok(())
    }

    /// Rename `old_dir/old_name` to `new_dir/new_name`, replacing an
    /// existing file or empty directory there. A directory moved to another
    /// parent gets its `..` and both parents' link counts fixed; moving a
    /// directory into its own subtree is `InvalidArgument`.
    pub fn rename(
        &mut self,
        old_dir: Ino,
        old_name: impl AsRef<[u8]>,
        new_dir: Ino,
        new_name: impl AsRef<[u8]>,
    ) -> Result<()> {
        self.check_writable()?;
        let (old_name, new_name) = (old_name.as_ref(), new_name.as_ref());
        if is_dot_or_dotdot(old_name) || is_dot_or_dotdot(new_name) {
            return Err(Error::InvalidArgument);
        }
        check_name(new_name)?;
        let src_loc = self.find_entry(old_dir, old_name)?.ok_or(Error::NotFound)?;
        let src = src_loc.inode;
        let src_inode = self.read_live_inode(src)?;
        let kind = src_inode.kind();
        let is_dir = kind == FileKind::Directory;
        let dst_loc = self.find_entry(new_dir, new_name)?;
        let mut dst_inode = None;
        if let Some(d) = &dst_loc {
            if d.inode == src {
                return Ok(());
            }
            let di = self.read_inode(d.inode)?;
            match (is_dir, di.kind() == FileKind::Directory) {
                (true, false) => return Err(Error::NotDir),
                (false, true) => return Err(Error::IsDir),
                (true, true) if !self.dir_is_empty(&di)? => return Err(Error::NotEmpty),
                _ => {}
            }
            dst_inode = Some(di);
        }
        if is_dir && old_dir != new_dir {
            self.check_not_ancestor(src, new_dir)?;
            if dst_loc.is_none() && self.read_dir_inode(new_dir)?.links >= LINK_MAX {
                return Err(Error::TooManyLinks);
            }
        }
        // Link the new name first, so that failure leaves the old one.
        match (&dst_loc, dst_inode) {
            (Some(d), Some(mut di)) => {
                self.dir_set(new_dir, d, src, kind)?;
                if di.kind() == FileKind::Directory {
                    self.release_unless_pinned(d.inode, &mut di)?;
                    self.update_inode(new_dir, |p| p.links = p.links.saturating_sub(1))?;
                } else {
                    self.drop_link(d.inode)?;
                }
            }
            _ => {
                let slot = self.prepare_insert(new_dir, new_name)?;
                self.dir_insert(new_dir, slot, new_name, src, kind)?;
            }
        }
        let loc = self
            .find_entry(old_dir, old_name)?
            .filter(|l| l.inode == src)
            .ok_or(Error::Corrupt("renamed entry vanished"))?;
        self.dir_remove(old_dir, &loc)?;
        if is_dir && old_dir != new_dir {
            if let Some(dd) = self.find_entry(src, b"..")? {
                self.dir_set(src, &dd, new_dir, FileKind::Directory)?;
            }
            self.update_inode(old_dir, |p| p.links = p.links.saturating_sub(1))?;
            self.update_inode(new_dir, |p| {
                p.links = p.links.saturating_add(1).min(LINK_MAX)
            })?;
        }
        let now = self.now();
        self.update_inode(src, |i| i.ctime = now)?;
        Ok(())
    }

    /// `InvalidArgument` if `dir` is `src` or lies below it.
    fn check_not_ancestor(&mut self, src: Ino, dir: Ino) -> Result<()> {
        let mut cur = dir;
        for _ in 0..MAX_DEPTH {
            if cur == src {
                return Err(Error::InvalidArgument);
            }
            if cur == ROOT_INO {
                return Ok(());
            }
            let parent = self.lookup(cur, b"..")?;
            if parent == cur {
                return Ok(());
            }
            cur = parent;
        }
        Err(Error::Corrupt("directory tree too deep or looping"))
    }

    /// Take one link from `ino`; release it when none is left (and it is
    /// not pinned open).
    fn drop_link(&mut self, ino: Ino) -> Result<()> {
        let mut inode = self.read_inode(ino)?;
        inode.links = inode.links.saturating_sub(1);
        inode.ctime = self.now();
        if inode.links == 0 {
            self.release_unless_pinned(ino, &mut inode)
        } else {
            self.write_inode(ino, &inode)
        }
    }

    /// `ino` has lost its last name: free it now, or, if the caller holds
    /// it open ([`Fs::pin`]), keep its contents with no links until the
    /// last [`Fs::unpin`] (as Unix keeps an unlinked open file).
    fn release_unless_pinned(&mut self, ino: Ino, inode: &mut Inode) -> Result<()> {
        if self.pins.contains_key(&ino) {
            inode.links = 0;
            inode.ctime = self.now();
            self.write_inode(ino, inode)
        } else {
            self.release_inode(ino, inode)
        }
    }

    /// Hold `ino` open: if its last name goes (unlink, rmdir, rename over
    /// it), it keeps its contents, readable and writable through its
    /// number, until as many [`Fs::unpin`] calls as `pin` calls. Pins live
    /// in memory only: a crash leaves such an inode with no links for
    /// `e2fsck` to free, as Linux's ext2 does.
    pub fn pin(&mut self, ino: Ino) {
        *self.pins.entry(ino).or_insert(0) += 1;
    }

    /// Let go of one [`Fs::pin`] of `ino`; with the last, an inode that has
    /// no links any more is freed.
    pub fn unpin(&mut self, ino: Ino) -> Result<()> {
        let Some(count) = self.pins.get_mut(&ino) else {
            return Err(Error::InvalidArgument);
        };
        *count -= 1;
        if *count > 0 {
            return Ok(());
        }
        self.pins.remove(&ino);
        self.release_if_unlinked(ino)
    }

    /// Free every pinned inode that has no links left and forget all pins
    /// (before unmounting or powering off: the holders are going away).
    pub fn release_unlinked(&mut self) -> Result<()> {
        let pinned: Vec<Ino> = core::mem::take(&mut self.pins).into_keys().collect();
        let mut r = Ok(());
        for ino in pinned {
            r = r.and(self.release_if_unlinked(ino));
        }
        r
    }

    fn release_if_unlinked(&mut self, ino: Ino) -> Result<()> {
        if self.check_writable().is_err() {
            return Ok(());
        }
        let mut inode = self.read_inode(ino)?;
        if inode.mode != 0 && inode.links == 0 {
            self.release_inode(ino, &mut inode)?;
        }
        Ok(())
    }

    /// Free everything `inode` holds (blocks, extended attribute block) and
    /// the inode itself.
    pub(crate) fn release_inode(&mut self, ino: Ino, inode: &mut Inode) -> Result<()> {
        let was_dir = inode.kind() == FileKind::Directory;
        if was_dir {
            self.dindex.drop_dir(ino);
        }
        let mut r = Ok(());
        if inode.has_block_map(self.sb.block_size) {
            r = self.free_blocks_from(inode, 0);
        }
        if inode.file_acl != 0 {
            let acl = inode.file_acl;
            r = r.and(self.release_xattr_block(acl));
        }
        let now = self.now();
        let mut dead = Inode::new(0, 0);
        dead.links = 0;
        // e2fsck treats a small dtime as an orphan list link.
        dead.dtime = if now >= self.sb.inodes_count { now } else { 0 };
        self.write_new_inode(ino, &dead)?;
        self.free_inode_bit(ino, was_dir)?;
        r
    }

    /// Drop one reference to extended attribute block `b`, freeing it with
    /// the last.
    fn release_xattr_block(&mut self, b: u32) -> Result<()> {
        self.check_block(b)?;
        let blk = self.cache.get_mut(&mut self.dev, b)?;
        if get32(blk, 0) != XATTR_MAGIC {
            return Err(Error::Corrupt("bad extended attribute block"));
        }
        let refs = get32(blk, 4);
        if refs > 1 {
            crate::bytes::put32(blk, 4, refs - 1);
            Ok(())
        } else {
            self.free_block(b)
        }
    }
}

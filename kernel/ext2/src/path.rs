//! Path resolution: absolute paths, `.` and `..`, symbolic links with a
//! loop limit.

use alloc::vec::Vec;

use crate::device::BlockDevice;
use crate::dir::NAME_MAX;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{FileKind, Ino, ROOT_INO};

/// The most symbolic links followed while resolving one path.
pub const MAX_SYMLINKS: usize = 8;

/// The longest path accepted, in bytes (also after expanding links).
pub const PATH_MAX: usize = 4096;

impl<D: BlockDevice> Fs<D> {
    /// Resolve absolute `path` to an inode, following symbolic links, the
    /// last component's included.
    pub fn resolve(&mut self, path: impl AsRef<[u8]>) -> Result<Ino> {
        self.resolve_from(ROOT_INO, path.as_ref(), true)
    }

    /// Resolve absolute `path` without following a symbolic link in the
    /// last component (as `lstat` does).
    pub fn resolve_nofollow(&mut self, path: impl AsRef<[u8]>) -> Result<Ino> {
        self.resolve_from(ROOT_INO, path.as_ref(), false)
    }

    /// Split absolute `path` into its parent directory (resolved) and last
    /// name, for operations that create or remove entries. Trailing
    /// slashes are ignored; `/` alone is `InvalidArgument`.
    pub fn resolve_parent<'p>(&mut self, path: &'p [u8]) -> Result<(Ino, &'p [u8])> {
        if path.first() != Some(&b'/') {
            return Err(Error::InvalidArgument);
        }
        let end = path
            .iter()
            .rposition(|&c| c != b'/')
            .ok_or(Error::InvalidArgument)?
            + 1;
        let trimmed = &path[..end];
        let slash = trimmed.iter().rposition(|&c| c == b'/').unwrap_or(0);
        let name = &trimmed[slash + 1..];
        if name.len() > NAME_MAX {
            return Err(Error::NameTooLong);
        }
        let parent = self.resolve_from(ROOT_INO, &trimmed[..slash.max(1)], true)?;
        if self.stat(parent)?.kind != FileKind::Directory {
            return Err(Error::NotDir);
        }
        Ok((parent, name))
    }

    /// Walk `path` (absolute, or relative to `start`).
    fn resolve_from(&mut self, start: Ino, path: &[u8], follow_last: bool) -> Result<Ino> {
        if path.first() != Some(&b'/') {
            return Err(Error::InvalidArgument);
        }
        if path.len() > PATH_MAX {
            return Err(Error::NameTooLong);
        }
        let mut rest: Vec<u8> = path.to_vec();
        let mut pos = 0;
        let mut cur = start;
        let mut links = 0;
        if rest.first() == Some(&b'/') {
            cur = ROOT_INO;
        }
        loop {
            while rest.get(pos) == Some(&b'/') {
                pos += 1;
            }
            if pos >= rest.len() {
                return Ok(cur);
            }
            let end = rest[pos..]
                .iter()
                .position(|&c| c == b'/')
                .map_or(rest.len(), |i| pos + i);
            let trailing_slash = end < rest.len();
            let is_last = rest[end..].iter().all(|&c| c == b'/');
            let comp = &rest[pos..end];
            if comp.len() > NAME_MAX {
                return Err(Error::NameTooLong);
            }
            pos = end;
            if comp == b"." {
                if self.stat(cur)?.kind != FileKind::Directory {
                    return Err(Error::NotDir);
                }
                continue;
            }
            let next = self.lookup(cur, comp)?;
            let st = self.stat(next)?;
            if st.kind == FileKind::Symlink && (!is_last || follow_last || trailing_slash) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Error::Loop);
                }
                let mut target = self.readlink(next)?;
                if target.len() + (rest.len() - pos) > PATH_MAX {
                    return Err(Error::NameTooLong);
                }
                if target.first() == Some(&b'/') {
                    cur = ROOT_INO;
                }
                target.extend_from_slice(&rest[pos..]);
                rest = target;
                pos = 0;
                continue;
            }
            if is_last && trailing_slash && st.kind != FileKind::Directory {
                return Err(Error::NotDir);
            }
            cur = next;
        }
    }
}

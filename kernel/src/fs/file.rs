//! Open files and directories: the kernel object behind a file handle.
//! The offset is shared by every handle to the same open file (as after
//! `handle_dup`), like a Unix open file description. While an `OpenFile`
//! exists its node is pinned: removing its last name does not free it
//! until the last handle goes, as on Unix.

use super::Node;
use abi::fs::open;
use abi::Error;
use spin::Mutex;

pub struct OpenFile {
    pub node: Node,
    pub flags: u64,
    pub is_dir: bool,
    /// Byte offset for files, readdir cookie for directories.
    pub position: Mutex<u64>,
}

impl Drop for OpenFile {
    /// The last handle went: unpin the node (freeing it if it has no names
    /// left). An error cannot reach anyone here; it is reported.
    fn drop(&mut self) {
        if let Err(e) = super::unpin(self.node) {
            crate::println!("[fs] closing inode {}: {e}", self.node.1);
        }
    }
}

impl OpenFile {
    pub fn new(node: Node, flags: u64, is_dir: bool) -> Self {
        super::pin(node);
        Self {
            node,
            flags,
            is_dir,
            position: Mutex::new(0),
        }
    }

    pub fn readable(&self) -> bool {
        self.flags & open::READ != 0
    }

    pub fn writable(&self) -> bool {
        self.flags & open::WRITE != 0
    }

    /// Read at the current offset, advancing it.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.is_dir {
            return Err(Error::IsADirectory);
        }
        if !self.readable() {
            return Err(Error::AccessDenied);
        }
        let mut pos = self.position.lock();
        let n = super::read(self.node, *pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// Read up to `len` bytes at the current offset into `sink` (see
    /// [`super::read_with`]), advancing the offset by what it took.
    pub fn read_with(
        &self,
        len: usize,
        sink: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<usize, Error> {
        if self.is_dir {
            return Err(Error::IsADirectory);
        }
        if !self.readable() {
            return Err(Error::AccessDenied);
        }
        let mut pos = self.position.lock();
        let n = super::read_with(self.node, *pos, len, sink)?;
        *pos += n as u64;
        Ok(n)
    }

    /// Write at the current offset (or the end with APPEND), advancing it.
    pub fn write(&self, data: &[u8]) -> Result<usize, Error> {
        if !self.writable() {
            return Err(Error::AccessDenied);
        }
        let mut pos = self.position.lock();
        if self.flags & open::APPEND != 0 {
            *pos = super::stat_of(self.node)?.size;
        }
        let n = super::write(self.node, *pos, data)?;
        *pos += n as u64;
        Ok(n)
    }
}

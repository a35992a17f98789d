//! Files, directories and byte streams as user space sees them.
//!
//! Paths are UTF-8, absolute or relative to the process's working
//! directory, at most [`MAX_PATH`] bytes. An opened file or directory is a
//! handle (object type [`crate::ipc::object_type::FILE`]); `io_read` and
//! `io_write` also work on channel endpoints, where they receive or send one
//! message's bytes, so stdin/stdout can be a file, a pipe or the console.

/// Longest path accepted.
pub const MAX_PATH: usize = 1024;
/// Longest single name in a directory.
pub const MAX_NAME: usize = 255;

/// `open` flags.
pub mod open {
    pub const READ: u64 = 1;
    pub const WRITE: u64 = 2;
    /// Create the file if it does not exist.
    pub const CREATE: u64 = 4;
    /// Truncate to zero length on open.
    pub const TRUNCATE: u64 = 8;
    /// Every write goes to the end.
    pub const APPEND: u64 = 16;
    /// With CREATE: fail with `AlreadyExists` if it exists.
    pub const EXCLUSIVE: u64 = 32;
    /// Open a directory (for `readdir`).
    pub const DIRECTORY: u64 = 64;
}

/// `seek` origins.
pub mod whence {
    pub const SET: u64 = 0;
    pub const CURRENT: u64 = 1;
    pub const END: u64 = 2;
}

/// File kinds in [`Stat::kind`] and directory entries.
pub mod kind {
    pub const FILE: u8 = 1;
    pub const DIRECTORY: u8 = 2;
    pub const SYMLINK: u8 = 3;
    pub const OTHER: u8 = 4;
}

/// `stat` output.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub ino: u64,
    pub size: u64,
    /// 512-byte units allocated.
    pub blocks: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    /// Permission bits (the low 12 bits of the Unix mode).
    pub mode: u32,
    pub links: u32,
    pub uid: u32,
    pub gid: u32,
    pub kind: u8,
    pub _pad: [u8; 7],
}

/// `statfs` output.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FsStat {
    pub block_size: u64,
    pub blocks: u64,
    pub free_blocks: u64,
    pub inodes: u64,
    pub free_inodes: u64,
}

/// One record of `readdir` output: this header, then `name_len` bytes of
/// name, then padding to a multiple of 8 bytes (`reclen` covers it all).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct DirentHeader {
    pub ino: u64,
    pub reclen: u16,
    pub name_len: u16,
    pub kind: u8,
    pub _pad: [u8; 3],
}

//! A portable ext2 filesystem: read and write, `no_std` + `alloc`, tested
//! on the host against images made by the real `mke2fs` and checked with
//! `e2fsck`.
//!
//! # Supported format
//!
//! ext2 revision 0 and 1 as `mke2fs -t ext2` makes it: 1, 2 and 4 KiB
//! blocks; direct, single, double and triple indirect blocks; sparse files;
//! files of 4 GiB and more (`i_size_high`, LARGE_FILE, turned on when a file
//! first reaches 2 GiB); fast symlinks (targets under 60 bytes, in the
//! inode) and slow ones (in a data block); directory entry file types.
//!
//! Feature flags on mount:
//! - incompat: only FILETYPE is accepted; any other bit (compression,
//!   journal recovery, journal device, meta_bg, extents, 64bit, flex_bg,
//!   ...) fails with [`Error::Unsupported`] carrying the unknown bits.
//! - ro_compat: SPARSE_SUPER and LARGE_FILE are supported; any other bit
//!   mounts read-only.
//! - compat bits (dir_index, resize_inode, ext_attr, dir_prealloc, ...) are
//!   tolerated. Htree directories are read linearly (the index blocks look
//!   like empty entries); a directory that gets modified loses its
//!   `EXT2_INDEX_FL` and becomes a plain linear directory, which `e2fsck`
//!   accepts. Extended attribute blocks are kept, and released (reference
//!   count) with their inode. The resize inode's reserved blocks stay
//!   reserved.
//!
//! # Design
//!
//! [`Fs`] programs against the [`BlockDevice`] trait (byte offsets, 512-byte
//! granularity); [`MemDevice`] keeps an image in memory and [`Partition`]
//! exposes a window of another device. The API is inode based: the caller
//! (a file server) holds inode numbers ([`Ino`]) and names entries relative
//! to directory inodes; [`Fs::resolve`] walks absolute paths.
//!
//! What is kept in memory:
//! - the superblock and the whole group descriptor table, parsed at mount
//!   (the free block/inode counts and used directory counts are updated in
//!   memory and written back by `sync`; like Linux, the superblock's totals
//!   are recomputed from the group descriptors at mount);
//! - a bounded write-back block cache (1 MiB by default, see
//!   [`MountOptions`]) holding bitmaps, inode table blocks, indirect blocks,
//!   directory blocks and file data. Eviction drops a clean block not used
//!   recently (CLOCK). Dirty blocks are written back in the background
//!   (sorted, consecutive blocks merged into requests of up to 256 KiB,
//!   started with [`BlockDevice::start_write`] while the caller carries
//!   on) once a quarter of the cache is dirty, and all of them when every
//!   cached block is dirty; whole blocks appended to a file go straight
//!   into the next write-back buffer instead of the cache. File data that
//!   is not cached is read through read-ahead segments, consecutive blocks
//!   in one request.
//! - a name index per directory in use (at most 32 directories and 64 Ki
//!   table slots, 768 KiB, in all; directories over 256 KiB are not
//!   indexed): name hash to entry position and inode, and each block's
//!   free room. It is built by one scan on first use, kept up to date by
//!   every change, and checked against the directory block on every hit.
//!
//! When data reaches the disk: modified blocks stay dirty in the cache
//! until [`Fs::sync`] (or [`Fs::unmount`], which syncs and returns the
//! device), or until the background write-back described above takes
//! them. `sync` writes dirty blocks and waits for every write in flight,
//! then writes the changed group descriptor blocks, then the superblock,
//! then flushes the device; it fails if a background write failed since
//! the last `sync`. Nothing is journalled:
//! after a crash between syncs, run `e2fsck`. After any sequence of
//! operations followed by `sync`, `e2fsck -fn` finds the filesystem clean:
//! bitmaps, group and superblock free counts, used directory counts, link
//! counts and `i_blocks` (512-byte units, indirect blocks included) are all
//! kept exact.
//!
//! Allocation: a new inode goes in its parent directory's group when it has
//! room; a file's next block goes right after its previous block (so
//! appending is contiguous), the first near the inode's group.
//!
//! Timestamps come from [`Fs::set_time`] or [`Fs::set_clock`] (0 until
//! set). Reads do not update access times.
//!
//! Robustness: on-disk data is never trusted. Block and inode numbers,
//! directory entry lengths, name lengths, sizes and counts are
//! range-checked and bad values give [`Error::Corrupt`]; walks are bounded
//! (symlink depth, directory ancestry, indirect depth), so damaged images
//! give errors, not panics or hangs.
//!
//! # Limitations
//!
//! No journal replay (ext3 journals are ignored, journals needing recovery
//! are refused), no htree maintenance (indexes are dropped on change), no
//! extended attribute API, no reserved-block policy for non-root users,
//! no creation of device nodes or FIFOs (existing ones are listed, can be
//! stat'ed and unlinked), directories are limited to [`MAX_DIR_SIZE`] and
//! may not have holes (as in Linux's ext2), htree indexes are not used
//! for lookups (an in-memory name index, built by one linear scan of a
//! directory when it is first used, serves them instead), unlinked inodes are freed at once (keeping open-but-unlinked
//! files alive is the caller's business), and `Fs` is single-threaded
//! (`&mut self` everywhere; wrap it in a lock to share it).
#![cfg_attr(not(test), no_std)]

extern crate alloc;

mod balloc;
mod bmap;
mod bytes;
mod cache;
mod device;
mod dindex;
mod dir;
mod error;
mod file;
mod fs;
mod group;
mod inode;
mod namei;
mod path;
mod readahead;
mod superblock;
mod writeback;

pub use device::{BlockDevice, MemDevice, Partition, Pending, SECTOR_SIZE};
pub use dir::{DirEntry, MAX_DIR_SIZE, NAME_MAX};
pub use error::{DeviceError, Error, Result};
pub use fs::{Fs, MountOptions, SetAttr, StatFs};
pub use inode::{FileKind, Ino, Stat, LINK_MAX, ROOT_INO};
pub use path::{MAX_SYMLINKS, PATH_MAX};
pub use superblock::feature;

#[cfg(test)]
mod tests {
    /// The kernel keeps a mounted filesystem in a lock shared by threads.
    #[test]
    fn fs_is_send() {
        fn send<T: Send>() {}
        send::<crate::Fs<crate::MemDevice>>();
        send::<crate::Error>();
    }
}

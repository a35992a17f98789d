//! Error types: [`DeviceError`] for the block device, [`Error`] for the
//! filesystem.

use core::fmt;

/// A failure reported by a [`BlockDevice`](crate::BlockDevice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceError {
    /// The request reaches past the end of the device.
    OutOfRange,
    /// The offset or length is not a multiple of 512.
    Misaligned,
    /// The hardware (or the driver) reported an error.
    Failed,
}

/// Everything a filesystem operation can fail with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// No entry of that name (or the inode is no longer in use).
    NotFound,
    /// An entry of that name already exists.
    Exists,
    /// A directory was expected.
    NotDir,
    /// The operation does not apply to a directory.
    IsDir,
    /// The directory still has entries other than `.` and `..`.
    NotEmpty,
    /// No free block or inode is left.
    NoSpace,
    /// A name longer than 255 bytes, a path or symlink target too long.
    NameTooLong,
    /// A bad argument (empty name, `/` or NUL in a name, relative path,
    /// moving a directory into itself, ...).
    InvalidArgument,
    /// Too many symbolic links while resolving a path.
    Loop,
    /// The on-disk data is inconsistent; the text says what was wrong.
    Corrupt(&'static str),
    /// The filesystem uses features this crate cannot handle: the unknown
    /// incompatible feature bits, or 0 for an unsupported revision or
    /// block size.
    Unsupported(u32),
    /// The block device failed.
    Io(DeviceError),
    /// The filesystem is mounted read-only.
    ReadOnly,
    /// The file would exceed the largest size the format can describe.
    TooBig,
    /// The inode already has the maximum number of links (32000).
    TooManyLinks,
}

/// `Result` with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

impl From<DeviceError> for Error {
    fn from(e: DeviceError) -> Self {
        Error::Io(e)
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            DeviceError::OutOfRange => "request beyond the end of the device",
            DeviceError::Misaligned => "request not aligned to 512 bytes",
            DeviceError::Failed => "device error",
        };
        f.write_str(s)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("not found"),
            Error::Exists => f.write_str("already exists"),
            Error::NotDir => f.write_str("not a directory"),
            Error::IsDir => f.write_str("is a directory"),
            Error::NotEmpty => f.write_str("directory not empty"),
            Error::NoSpace => f.write_str("no space left on device"),
            Error::NameTooLong => f.write_str("name too long"),
            Error::InvalidArgument => f.write_str("invalid argument"),
            Error::Loop => f.write_str("too many levels of symbolic links"),
            Error::Corrupt(what) => write!(f, "corrupt filesystem: {what}"),
            Error::Unsupported(bits) => write!(f, "unsupported filesystem features {bits:#x}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::ReadOnly => f.write_str("read-only filesystem"),
            Error::TooBig => f.write_str("file too large"),
            Error::TooManyLinks => f.write_str("too many links"),
        }
    }
}

impl core::error::Error for DeviceError {}
impl core::error::Error for Error {}

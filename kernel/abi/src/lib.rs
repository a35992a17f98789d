//! The system-call ABI shared by the kernel and user space: the calling
//! convention, the call numbers ([`sys`]), the one error enum every kernel
//! interface reports with ([`Error`]: no sentinel values, ever), and the
//! `#[repr(C)]` structures that cross the boundary.
//!
//! # Calling convention
//! `svc #0` with the call number in `x8` and up to six arguments in
//! `x0`..`x5`. On return `x0` holds 0 on success or an [`Error`] code, and
//! `x1`..`x3` hold the results. All other registers are preserved.
#![cfg_attr(not(test), no_std)]

pub mod fs;
pub mod ipc;
pub mod layout;
pub mod process;
pub mod sys;

pub use ipc::{CallArgs, Rights};
pub use process::{ArgSlice, ExitStatus, FaultKind, ProcessInfo, SpawnRequest, SysInfo};

/// Every error a kernel interface can return. The discriminant is the value
/// passed in the error register; 0 means success and is never an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Error {
    InvalidHandle = 1,
    WrongType = 2,
    AccessDenied = 3,
    QueueFull = 4,
    WouldBlock = 5,
    PeerClosed = 6,
    QuotaExceeded = 7,
    OutOfMemory = 8,
    InvalidArgument = 9,
    BadAddress = 10,
    NotFound = 11,
    TimedOut = 12,
    BufferTooSmall = 13,
    Unsupported = 14,
    NoSpace = 15,
    IoError = 16,
    AlreadyExists = 17,
    NotADirectory = 18,
    IsADirectory = 19,
    DirectoryNotEmpty = 20,
    NameTooLong = 21,
    /// The file system's on-disk data is inconsistent.
    Corrupt = 22,
    ReadOnly = 23,
    /// Rename or link across two mounted file systems.
    CrossDevice = 24,
    /// Too many symbolic links in a path.
    Loop = 25,
}

impl Error {
    const ALL: [Error; 25] = [
        Error::InvalidHandle,
        Error::WrongType,
        Error::AccessDenied,
        Error::QueueFull,
        Error::WouldBlock,
        Error::PeerClosed,
        Error::QuotaExceeded,
        Error::OutOfMemory,
        Error::InvalidArgument,
        Error::BadAddress,
        Error::NotFound,
        Error::TimedOut,
        Error::BufferTooSmall,
        Error::Unsupported,
        Error::NoSpace,
        Error::IoError,
        Error::AlreadyExists,
        Error::NotADirectory,
        Error::IsADirectory,
        Error::DirectoryNotEmpty,
        Error::NameTooLong,
        Error::Corrupt,
        Error::ReadOnly,
        Error::CrossDevice,
        Error::Loop,
    ];

    /// The code carried in the error register.
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// Decode an error register; `None` for 0 (success) or unknown codes.
    pub fn from_code(code: u64) -> Option<Error> {
        Self::ALL.iter().copied().find(|e| e.code() as u64 == code)
    }

    pub const fn name(self) -> &'static str {
        match self {
            Error::InvalidHandle => "invalid handle",
            Error::WrongType => "wrong object type",
            Error::AccessDenied => "access denied",
            Error::QueueFull => "queue full",
            Error::WouldBlock => "would block",
            Error::PeerClosed => "peer closed",
            Error::QuotaExceeded => "quota exceeded",
            Error::OutOfMemory => "out of memory",
            Error::InvalidArgument => "invalid argument",
            Error::BadAddress => "bad address",
            Error::NotFound => "not found",
            Error::TimedOut => "timed out",
            Error::BufferTooSmall => "buffer too small",
            Error::Unsupported => "unsupported",
            Error::NoSpace => "no space left",
            Error::IoError => "I/O error",
            Error::AlreadyExists => "already exists",
            Error::NotADirectory => "not a directory",
            Error::IsADirectory => "is a directory",
            Error::DirectoryNotEmpty => "directory not empty",
            Error::NameTooLong => "name too long",
            Error::Corrupt => "file system corrupt",
            Error::ReadOnly => "read-only file system",
            Error::CrossDevice => "cross-device link",
            Error::Loop => "too many levels of symbolic links",
        }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_zero_is_not_an_error() {
        for e in Error::ALL {
            assert_ne!(e.code(), 0);
            assert_eq!(Error::from_code(e.code() as u64), Some(e));
        }
        assert_eq!(Error::from_code(0), None);
        assert_eq!(Error::from_code(9999), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<u16> = Error::ALL.iter().map(|e| e.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), Error::ALL.len());
    }
}

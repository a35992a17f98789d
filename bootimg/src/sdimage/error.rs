//! What can go wrong building an SD image, worded for the person running
//! `make sdimage`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::board::Board;

/// A failed `sdimage` build.
#[derive(Debug)]
pub enum SdImageError {
    /// The board has no SD card (virt).
    NotAPi(Board),
    /// The kernel image is missing, unreadable or empty.
    Kernel { path: PathBuf, reason: String },
    /// The firmware directory does not exist.
    FirmwareDir(PathBuf),
    /// A firmware file the board needs is not in the firmware directory.
    MissingFirmware {
        board: Board,
        dir: PathBuf,
        file: &'static str,
        needed: &'static [&'static str],
    },
    /// `--root` or `--boot-extra` is not a directory.
    NotADirectory { what: &'static str, path: PathBuf },
    /// A file in `--boot-extra` cannot go on the boot partition.
    BootExtra { path: PathBuf, reason: String },
    /// A file in the root tree cannot go on the root partition.
    RootTree { path: PathBuf, reason: String },
    /// The boot files do not fit in the boot partition, or the root tree
    /// would need an image beyond the size limit.
    TooLarge(String),
    /// An I/O error, with what was being done.
    Io { context: String, source: io::Error },
    /// An external tool is not installed.
    ToolMissing {
        tool: &'static str,
        package: &'static str,
    },
    /// An external tool failed.
    ToolFailed { tool: &'static str, detail: String },
}

impl SdImageError {
    /// A closure turning an `io::Error` into [`SdImageError::Io`] with
    /// `context`, for `map_err`.
    pub fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> SdImageError {
        let context = context.into();
        move |source| SdImageError::Io { context, source }
    }
}

impl fmt::Display for SdImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdImageError::NotAPi(board) => write!(
                f,
                "board {board} has no SD card image (sdimage is for rpi3 and rpi4)"
            ),
            SdImageError::Kernel { path, reason } => {
                write!(f, "kernel image {}: {reason}", path.display())
            }
            SdImageError::FirmwareDir(dir) => write!(
                f,
                "firmware directory {} does not exist; {}",
                dir.display(),
                FIRMWARE_HINT
            ),
            SdImageError::MissingFirmware {
                board,
                dir,
                file,
                needed,
            } => write!(
                f,
                "firmware file {file} (needed for {board}: {}) not found in {}; {}",
                needed.join(", "),
                dir.display(),
                FIRMWARE_HINT
            ),
            SdImageError::NotADirectory { what, path } => {
                write!(f, "{what} {} is not a directory", path.display())
            }
            SdImageError::BootExtra { path, reason } => {
                write!(f, "boot-extra file {}: {reason}", path.display())
            }
            SdImageError::RootTree { path, reason } => {
                write!(f, "root tree entry {}: {reason}", path.display())
            }
            SdImageError::TooLarge(what) => f.write_str(what),
            SdImageError::Io { context, source } => write!(f, "{context}: {source}"),
            SdImageError::ToolMissing { tool, package } => write!(
                f,
                "{tool} not found (in PATH, /usr/sbin or /sbin): install the {package} package"
            ),
            SdImageError::ToolFailed { tool, detail } => write!(f, "{tool} failed: {detail}"),
        }
    }
}

impl std::error::Error for SdImageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SdImageError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Where firmware comes from, for the messages about missing firmware.
const FIRMWARE_HINT: &str = "fetch Debian's raspi-firmware package with \
scripts/fetch-firmware.sh <cache dir> (make sdimage does this), or set FIRMWARE_DIR= \
(make) / --firmware (bootimg) to a directory holding the Raspberry Pi boot files, \
e.g. a copy of the boot/ directory of https://github.com/raspberrypi/firmware";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_firmware_names_the_file_and_the_way_out() {
        let err = SdImageError::MissingFirmware {
            board: Board::Rpi3,
            dir: "/fw".into(),
            file: "bootcode.bin",
            needed: &["bootcode.bin", "start.elf"],
        };
        let text = err.to_string();
        assert!(text.starts_with("firmware file bootcode.bin (needed for rpi3: bootcode.bin, start.elf) not found in /fw"));
        assert!(text.contains("FIRMWARE_DIR="));
        assert!(text.contains("scripts/fetch-firmware.sh"));
    }
}

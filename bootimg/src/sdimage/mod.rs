//! `bootimg sdimage`: a flashable Raspberry Pi SD card image, built without
//! root, loop devices or mounts.
//!
//! The image ([`layout`]): an MBR ([`mbr`]); partition 1, FAT32, at 1 MiB,
//! 64 MiB, with the firmware, device trees, `config.txt` and `kernel8.img`
//! ([`bootfiles`], written by [`fat`]); partition 2, ext2, right after it,
//! made by `mke2fs -d` from the root tree ([`ext2`]) and reaching the end
//! of the image, whose size is a power of two (QEMU's `-drive if=sd` wants
//! that).
//!
//! Reproducible: timestamps, identifiers and orderings are all fixed, so
//! the same inputs give the same bytes.

pub mod bootfiles;
pub mod error;
pub mod ext2;
pub mod fat;
pub mod layout;
pub mod mbr;
mod scratch;
mod sparse;
mod tool;

use std::fs::{self, File};
use std::path::{Path, PathBuf};

pub use bootfiles::PiModel;
pub use error::SdImageError;
pub use layout::Layout;

use crate::board::Board;
use scratch::Scratch;

/// Every timestamp in the image: 2024-01-01 00:00:00 UTC, in seconds since
/// the Unix epoch.
pub const EPOCH: u64 = 1_704_067_200;

/// The inputs of `bootimg sdimage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdImageOptions {
    pub board: Board,
    /// The flat kernel image, written as `kernel8.img`.
    pub kernel: PathBuf,
    /// The directory holding the Pi firmware files (and maybe DTBs).
    pub firmware: PathBuf,
    /// The tree that becomes the ext2 root file system.
    pub root: PathBuf,
    /// Where to write the image.
    pub out: PathBuf,
    /// More files for the boot partition's root directory.
    pub boot_extra: Option<PathBuf>,
}

/// What was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdImageReport {
    pub layout: Layout,
    /// The boot partition's files, in the order written.
    pub boot_files: Vec<String>,
}

/// Builds the image described by `opts`, writing it to `opts.out` (only
/// once it is complete).
pub fn build(opts: &SdImageOptions) -> Result<SdImageReport, SdImageError> {
    let model = PiModel::for_board(opts.board)?;
    let kernel = read_kernel(&opts.kernel)?;
    let boot_files =
        bootfiles::collect(&model, &opts.firmware, kernel, opts.boot_extra.as_deref())?;
    let content = ext2::content_size(&opts.root)?;
    let layout = Layout::for_root_content(content).ok_or_else(|| {
        SdImageError::TooLarge(format!(
            "the root tree ({} MiB) would need an image larger than {} GiB",
            content >> 20,
            layout::MAX_IMAGE_SIZE >> 30
        ))
    })?;
    let fat = fat::build(&boot_files, layout.boot)?;

    let scratch = Scratch::beside(&opts.out).map_err(SdImageError::io(format!(
        "creating a scratch directory beside {}",
        opts.out.display()
    )))?;
    let rootfs = ext2::build(&opts.root, scratch.path(), layout.root.size)?;
    let partial = scratch.path().join("sd.img");
    write_image(&partial, &layout, &fat, &rootfs)?;
    fs::rename(&partial, &opts.out).map_err(SdImageError::io(format!(
        "moving the image to {}",
        opts.out.display()
    )))?;
    Ok(SdImageReport {
        layout,
        boot_files: boot_files.into_iter().map(|f| f.name).collect(),
    })
}

/// Reads the kernel, which must be a non-empty file.
fn read_kernel(path: &Path) -> Result<Vec<u8>, SdImageError> {
    let reason = |reason: String| SdImageError::Kernel {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(reason(
            "not found (build it first: make build BOARD=rpi3|rpi4)".into(),
        ));
    }
    let data = fs::read(path).map_err(|err| reason(err.to_string()))?;
    if data.is_empty() {
        return Err(reason("is empty".into()));
    }
    Ok(data)
}

/// Writes the whole image to `path`: MBR, then both partitions.
fn write_image(
    path: &Path,
    layout: &Layout,
    fat: &[u8],
    rootfs: &Path,
) -> Result<(), SdImageError> {
    let context = || format!("writing {}", path.display());
    let image = File::create(path).map_err(SdImageError::io(context()))?;
    image
        .set_len(layout.total)
        .map_err(SdImageError::io(context()))?;
    sparse::write_at(&image, 0, &mbr::encode(layout)?).map_err(SdImageError::io(context()))?;
    sparse::write_at(&image, layout.boot.start, fat).map_err(SdImageError::io(context()))?;
    sparse::copy_file_at(&image, layout.root.start, rootfs, layout.root.size)
        .map_err(SdImageError::io(context()))?;
    image.sync_all().map_err(SdImageError::io(context()))
}

/// A one-line description of the image, for the user.
pub fn describe(report: &SdImageReport) -> String {
    let layout = &report.layout;
    format!(
        "{} MiB image: boot FAT32 {} MiB at {} MiB ({}), root ext2 {} MiB at {} MiB",
        layout.total >> 20,
        layout.boot.size >> 20,
        layout.boot.start >> 20,
        report.boot_files.join(", "),
        layout.root.size >> 20,
        layout.root.start >> 20,
    )
}

//! The FAT32 boot partition, formatted and filled in memory with `fatfs`.
//!
//! Every file goes in the root directory: the released `fatfs` (0.3) writes
//! wrong `.`/`..` entries in subdirectories, which `fsck.fat` reports.
//! Timestamps come from a fixed clock and the volume id and label are fixed,
//! so the same files give the same bytes.

use std::io::{Cursor, Write};

use fatfs::{
    Date, DateTime, FatType, FileSystem, FormatVolumeOptions, FsOptions, Time, TimeProvider,
};

use super::bootfiles::BootFile;
use super::error::SdImageError;
use super::layout::{Partition, SECTOR_SIZE};

/// The volume serial number (Linux shows it as the UUID `B007-1A6E`).
pub const VOLUME_ID: u32 = 0xB007_1A6E;
/// The volume label, padded to 11 bytes.
pub const VOLUME_LABEL: [u8; 11] = *b"BOOT       ";
/// Cluster size. With 512-byte clusters a 64 MiB volume has about 130,000
/// clusters, comfortably above FAT32's minimum of 65,525.
pub const CLUSTER_SIZE: u32 = 512;

/// The date and time stamped on every file: 2024-01-01 00:00:00, the same
/// instant as [`super::EPOCH`].
const STAMP: DateTime = DateTime {
    date: Date {
        year: 2024,
        month: 1,
        day: 1,
    },
    time: Time {
        hour: 0,
        min: 0,
        sec: 0,
        millis: 0,
    },
};

/// A clock that always says [`STAMP`].
#[derive(Debug)]
struct FixedClock;

impl TimeProvider for FixedClock {
    fn get_current_date(&self) -> Date {
        STAMP.date
    }

    fn get_current_date_time(&self) -> DateTime {
        STAMP
    }
}

static CLOCK: FixedClock = FixedClock;

/// Builds the partition's bytes: a FAT32 file system of `partition.size`
/// bytes holding `files` in its root directory.
pub fn build(files: &[BootFile], partition: Partition) -> Result<Vec<u8>, SdImageError> {
    let size = usize::try_from(partition.size)
        .map_err(|_| SdImageError::TooLarge("boot partition too large for memory".into()))?;
    let total_sectors = u32::try_from(partition.size / SECTOR_SIZE)
        .map_err(|_| SdImageError::TooLarge("boot partition too large for FAT32".into()))?;
    let mut bytes = vec![0u8; size];
    let options = FormatVolumeOptions::new()
        .fat_type(FatType::Fat32)
        .bytes_per_cluster(CLUSTER_SIZE)
        .total_sectors(total_sectors)
        .volume_id(VOLUME_ID)
        .volume_label(VOLUME_LABEL);
    fatfs::format_volume(Cursor::new(&mut bytes[..]), options)
        .map_err(SdImageError::io("formatting the FAT32 boot partition"))?;

    let mut disk = Cursor::new(&mut bytes[..]);
    let fs = FileSystem::new(
        &mut disk,
        FsOptions::new()
            .time_provider(&CLOCK)
            .update_accessed_date(false),
    )
    .map_err(SdImageError::io("opening the new FAT32 boot partition"))?;
    // A fresh volume's FSInfo says "free cluster count unknown", which
    // fsck.fat reports; counting once makes fatfs keep the count up to date
    // and write it back on unmount.
    fs.stats().map_err(SdImageError::io(
        "counting free clusters on the boot partition",
    ))?;
    {
        let root = fs.root_dir();
        for file in files {
            let context = || format!("writing {} to the boot partition", file.name);
            let mut out = root
                .create_file(&file.name)
                .map_err(|e| SdImageError::io(context())(e))?;
            out.truncate().map_err(|e| SdImageError::io(context())(e))?;
            out.write_all(&file.data)
                .and_then(|()| out.flush())
                .map_err(|e| fat_write_error(context(), e, files))?;
        }
    }
    fs.unmount()
        .map_err(SdImageError::io("closing the FAT32 boot partition"))?;
    set_hidden_sectors(&mut bytes, partition.first_sector());
    Ok(bytes)
}

/// A write error; running out of space is reported as such, with the total
/// the files needed.
fn fat_write_error(context: String, err: std::io::Error, files: &[BootFile]) -> SdImageError {
    let total: usize = files.iter().map(|f| f.data.len()).sum();
    if err.to_string().to_lowercase().contains("space") {
        return SdImageError::TooLarge(format!(
            "{context}: the boot files ({} KiB) do not fit in the boot partition",
            total / 1024
        ));
    }
    SdImageError::io(context)(err)
}

/// Records the partition's first sector in the BIOS parameter block (and its
/// FAT32 backup copy), as the "hidden sectors" field; `fatfs` writes 0.
fn set_hidden_sectors(bytes: &mut [u8], first_sector: u32) {
    const HIDDEN_SECTORS: usize = 0x1C;
    const BACKUP_BOOT_SECTOR: usize = 0x32;
    let value = first_sector.to_le_bytes();
    bytes[HIDDEN_SECTORS..HIDDEN_SECTORS + 4].copy_from_slice(&value);
    let backup = usize::from(u16::from_le_bytes([
        bytes[BACKUP_BOOT_SECTOR],
        bytes[BACKUP_BOOT_SECTOR + 1],
    ]));
    let at = backup * SECTOR_SIZE as usize + HIDDEN_SECTORS;
    if backup != 0 && backup != 0xFFFF && at + 4 <= bytes.len() {
        bytes[at..at + 4].copy_from_slice(&value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    use crate::sdimage::layout::MIB;

    fn file(name: &str, data: &[u8]) -> BootFile {
        BootFile {
            name: name.into(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn round_trips_and_is_reproducible() {
        let part = Partition {
            start: MIB,
            size: 64 * MIB,
        };
        let files = vec![
            file("start4.elf", &[7u8; 3000]),
            file("bcm2711-rpi-4-b.dtb", b"dtb"),
            file("config.txt", b"arm_64bit=1\n"),
        ];
        let a = build(&files, part).unwrap();
        let b = build(&files, part).unwrap();
        assert!(a == b, "two builds differ");
        assert_eq!(&a[0x1C..0x20], &2048u32.to_le_bytes());
        assert_eq!(&a[6 * 512 + 0x1C..6 * 512 + 0x20], &2048u32.to_le_bytes());

        let mut disk = Cursor::new(a);
        let fs = FileSystem::new(&mut disk, FsOptions::new()).unwrap();
        assert_eq!(fs.fat_type(), FatType::Fat32);
        assert_eq!(fs.volume_id(), VOLUME_ID);
        let root = fs.root_dir();
        let mut names = Vec::new();
        for entry in root.iter() {
            let entry = entry.unwrap();
            assert_eq!(entry.modified(), STAMP);
            names.push(entry.file_name());
        }
        assert_eq!(names, ["start4.elf", "bcm2711-rpi-4-b.dtb", "config.txt"]);
        let mut data = Vec::new();
        root.open_file("start4.elf")
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert_eq!(data, vec![7u8; 3000]);
    }

    #[test]
    fn too_much_is_an_error() {
        let part = Partition {
            start: MIB,
            size: 64 * MIB,
        };
        let files = vec![file("huge.bin", &vec![1u8; 65 * MIB as usize])];
        assert!(matches!(
            build(&files, part),
            Err(SdImageError::TooLarge(_))
        ));
    }
}

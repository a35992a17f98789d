//! Where the partitions go on the SD image, and how big the image is.
//!
//! ```text
//! 0        1 MiB                65 MiB                          total (2^n)
//! | MBR ...| boot: FAT32, 64 MiB | root: ext2, to the end of the image |
//! ```
//!
//! The boot partition starts at 1 MiB (sector 2048), the usual alignment for
//! flash media. The root partition follows it directly and is at least
//! [`MIN_ROOT_SIZE`] or twice the root tree's size; the image is then rounded
//! up to a power of two (QEMU's `-drive if=sd` refuses other sizes) and the
//! root partition grows to fill it, so no space is left unused.

/// Bytes per sector; MBR addresses are in sectors of this size.
pub const SECTOR_SIZE: u64 = 512;
/// One mebibyte.
pub const MIB: u64 = 1 << 20;
/// Start of the boot partition (sector 2048).
pub const BOOT_START: u64 = MIB;
/// Size of the boot partition.
pub const BOOT_SIZE: u64 = 64 * MIB;
/// The smallest root partition.
pub const MIN_ROOT_SIZE: u64 = 64 * MIB;
/// The largest image made: far below MBR's limit of 2^32 sectors (2 TiB).
pub const MAX_IMAGE_SIZE: u64 = 1 << 40;

/// A partition's place on the image, in bytes (both multiples of 1 MiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub start: u64,
    pub size: u64,
}

impl Partition {
    /// The first sector, as the MBR records it.
    pub fn first_sector(&self) -> u32 {
        // `Layout::for_root_content` keeps every offset below MAX_IMAGE_SIZE.
        u32::try_from(self.start / SECTOR_SIZE).unwrap_or(u32::MAX)
    }

    /// The length in sectors, as the MBR records it.
    pub fn sectors(&self) -> u32 {
        u32::try_from(self.size / SECTOR_SIZE).unwrap_or(u32::MAX)
    }

    /// The first byte after the partition.
    pub fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// The whole image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Image size in bytes: a power of two.
    pub total: u64,
    /// Partition 1, FAT32.
    pub boot: Partition,
    /// Partition 2, ext2.
    pub root: Partition,
}

impl Layout {
    /// The layout for a root tree needing `content` bytes (see
    /// `ext2::content_size`); `None` if the image would exceed
    /// [`MAX_IMAGE_SIZE`].
    pub fn for_root_content(content: u64) -> Option<Layout> {
        let boot = Partition {
            start: BOOT_START,
            size: BOOT_SIZE,
        };
        let wanted = round_up(content.checked_mul(2)?, MIB)?.max(MIN_ROOT_SIZE);
        let total = boot
            .end()
            .checked_add(wanted)?
            .checked_next_power_of_two()?;
        if total > MAX_IMAGE_SIZE {
            return None;
        }
        let root = Partition {
            start: boot.end(),
            size: total - boot.end(),
        };
        Some(Layout { total, boot, root })
    }
}

/// `value` rounded up to a multiple of `unit` (a power of two).
pub fn round_up(value: u64, unit: u64) -> Option<u64> {
    Some(value.checked_add(unit - 1)? & !(unit - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_root_gives_a_256_mib_image() {
        let layout = Layout::for_root_content(1).unwrap();
        assert_eq!(layout.total, 256 * MIB);
        assert_eq!(layout.boot.first_sector(), 2048);
        assert_eq!(layout.boot.sectors(), 131_072);
        assert_eq!(layout.root.start, 65 * MIB);
        assert_eq!(layout.root.first_sector(), 133_120);
        assert_eq!(layout.root.end(), layout.total);
    }

    #[test]
    fn root_gets_at_least_twice_its_content() {
        for content in [0, 31 * MIB, 32 * MIB + 1, 100 * MIB, 3000 * MIB] {
            let layout = Layout::for_root_content(content).unwrap();
            assert!(layout.total.is_power_of_two());
            assert!(layout.root.size >= 2 * content, "{content}");
            assert!(layout.root.size >= MIN_ROOT_SIZE);
            assert_eq!(layout.root.start, layout.boot.end());
            assert_eq!(layout.root.end(), layout.total);
        }
        assert_eq!(
            Layout::for_root_content(100 * MIB).unwrap().total,
            512 * MIB
        );
    }

    #[test]
    fn too_large_is_refused() {
        assert_eq!(Layout::for_root_content(MAX_IMAGE_SIZE), None);
        assert_eq!(Layout::for_root_content(u64::MAX), None);
    }
}

//! The MBR partition table (with `mbrman`): partition 1 FAT32 with LBA
//! addressing (type 0x0c), partition 2 Linux (0x83). The disk signature is
//! fixed, so Linux names the partitions `PARTUUID=b0071a6e-01` and `-02` on
//! every build.

use std::io::Cursor;

use mbrman::{MBRHeader, MBRPartitionEntry, BOOT_INACTIVE, CHS};

use super::error::SdImageError;
use super::layout::{Layout, Partition};

/// The disk signature (identifier), bytes as stored: 0xB0071A6E.
pub const DISK_SIGNATURE: [u8; 4] = 0xB007_1A6E_u32.to_le_bytes();
/// Partition type: FAT32 with LBA addressing.
pub const TYPE_FAT32_LBA: u8 = 0x0c;
/// Partition type: Linux native.
pub const TYPE_LINUX: u8 = 0x83;

/// The conventional geometry for CHS fields: 255 heads, 63 sectors a track.
const HEADS: u32 = 255;
const SECTORS_PER_TRACK: u32 = 63;

/// The 512-byte MBR sector for `layout`.
pub fn encode(layout: &Layout) -> Result<Vec<u8>, SdImageError> {
    let mut header = MBRHeader::new(DISK_SIGNATURE);
    header.partition_1 = entry(TYPE_FAT32_LBA, layout.boot);
    header.partition_2 = entry(TYPE_LINUX, layout.root);
    let mut sector = Cursor::new(vec![0u8; 512]);
    header
        .write_into(&mut sector)
        .map_err(|err| SdImageError::Io {
            context: "encoding the partition table".into(),
            source: std::io::Error::other(err.to_string()),
        })?;
    Ok(sector.into_inner())
}

fn entry(sys: u8, part: Partition) -> MBRPartitionEntry {
    let first = part.first_sector();
    let last = first + part.sectors().saturating_sub(1);
    MBRPartitionEntry {
        boot: BOOT_INACTIVE,
        first_chs: chs(first),
        sys,
        last_chs: chs(last),
        starting_lba: first,
        sectors: part.sectors(),
    }
}

/// The CHS address of `lba` in the conventional geometry, or the usual
/// "beyond 1023 cylinders" marker (1023/254/63) past that.
fn chs(lba: u32) -> CHS {
    let cylinder = lba / (HEADS * SECTORS_PER_TRACK);
    if cylinder > 1023 {
        return CHS::new(1023, 254, 63);
    }
    let head = (lba / SECTORS_PER_TRACK) % HEADS;
    let sector = lba % SECTORS_PER_TRACK + 1;
    // All three fit: cylinder <= 1023, head < 255, sector <= 63.
    CHS::new(cylinder as u16, head as u8, sector as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdimage::layout::MIB;

    #[test]
    fn table_has_two_partitions_at_the_layout_offsets() {
        let layout = Layout::for_root_content(MIB).unwrap();
        let sector = encode(&layout).unwrap();
        assert_eq!(sector.len(), 512);
        assert_eq!(&sector[510..], &[0x55, 0xAA]);
        assert_eq!(&sector[440..444], &DISK_SIGNATURE);
        let header = MBRHeader::read_from(&mut Cursor::new(sector)).unwrap();
        assert_eq!(header.partition_1.sys, 0x0c);
        assert_eq!(header.partition_1.starting_lba, 2048);
        assert_eq!(header.partition_1.sectors, 131_072);
        assert_eq!(header.partition_2.sys, 0x83);
        assert_eq!(header.partition_2.starting_lba, 133_120);
        assert_eq!(
            u64::from(header.partition_2.starting_lba + header.partition_2.sectors) * 512,
            layout.total
        );
        assert!(header.partition_3.is_unused() && header.partition_4.is_unused());
    }

    #[test]
    fn chs_values() {
        assert_eq!(chs(0), CHS::new(0, 0, 1));
        assert_eq!(chs(2048), CHS::new(0, 32, 33));
        assert_eq!(chs(u32::MAX), CHS::new(1023, 254, 63));
    }
}

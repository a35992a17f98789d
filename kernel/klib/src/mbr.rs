//! Reading an MBR partition table (the Pi SD card: FAT boot partition,
//! ext2 root partition).

/// One primary partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The partition type byte (0x83 Linux, 0x0c FAT32 LBA, ...).
    pub kind: u8,
    pub first_sector: u64,
    pub sectors: u64,
}

pub const TYPE_LINUX: u8 = 0x83;
pub const TYPE_FAT32_LBA: u8 = 0x0c;
pub const TYPE_FAT32: u8 = 0x0b;
pub const TYPE_FAT16_LBA: u8 = 0x0e;

/// The primary partitions in sector 0, or `None` if it is not an MBR
/// (no 0x55AA signature). Empty entries and entries that do not fit on a
/// disk of `disk_sectors` are skipped.
pub fn parse(sector0: &[u8; 512], disk_sectors: u64) -> Option<[Option<Partition>; 4]> {
    if sector0[510] != 0x55 || sector0[511] != 0xaa {
        return None;
    }
    let mut out = [None; 4];
    for (i, slot) in out.iter_mut().enumerate() {
        let e = &sector0[446 + i * 16..446 + (i + 1) * 16];
        let kind = e[4];
        let first = u32::from_le_bytes([e[8], e[9], e[10], e[11]]) as u64;
        let count = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as u64;
        if kind == 0 || count == 0 || first == 0 || first + count > disk_sectors {
            continue;
        }
        *slot = Some(Partition {
            kind,
            first_sector: first,
            sectors: count,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(mbr: &mut [u8; 512], i: usize, kind: u8, first: u32, count: u32) {
        let e = &mut mbr[446 + i * 16..446 + (i + 1) * 16];
        e[4] = kind;
        e[8..12].copy_from_slice(&first.to_le_bytes());
        e[12..16].copy_from_slice(&count.to_le_bytes());
    }

    #[test]
    fn reads_entries_and_skips_bad_ones() {
        let mut mbr = [0u8; 512];
        assert_eq!(parse(&mbr, 1 << 20), None);
        mbr[510] = 0x55;
        mbr[511] = 0xaa;
        entry(&mut mbr, 0, TYPE_FAT32_LBA, 2048, 131072);
        entry(&mut mbr, 1, TYPE_LINUX, 133120, 262144);
        entry(&mut mbr, 2, TYPE_LINUX, 1 << 30, 10); // beyond the disk
        let p = parse(&mbr, 1 << 20).unwrap();
        assert_eq!(
            p[0],
            Some(Partition {
                kind: TYPE_FAT32_LBA,
                first_sector: 2048,
                sectors: 131072
            })
        );
        assert_eq!(p[1].map(|p| p.kind), Some(TYPE_LINUX));
        assert_eq!(p[2], None);
        assert_eq!(p[3], None);
    }
}

//! Parsing and validating static AArch64 ELF executables for loading into a
//! user address space. Everything a malicious file could get wrong is
//! checked here, before any memory is mapped: the loader then only copies.

use crate::{align_down, align_up, PAGE_SIZE};

/// A loadable segment, validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: usize,
    pub mem_size: usize,
    /// Bytes of the file at `offset..offset+file_size` go to `vaddr`.
    pub offset: usize,
    pub file_size: usize,
    pub writable: bool,
    pub executable: bool,
}

impl Segment {
    /// Page-aligned extent of the segment in memory.
    pub fn pages(&self) -> (usize, usize) {
        (
            align_down(self.vaddr, PAGE_SIZE),
            align_up(self.vaddr + self.mem_size, PAGE_SIZE),
        )
    }
}

pub const MAX_SEGMENTS: usize = 8;

/// A validated executable: entry point and segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executable {
    pub entry: usize,
    pub segments: [Option<Segment>; MAX_SEGMENTS],
}

impl Executable {
    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().flatten()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than its headers say.
    Truncated,
    /// Not an ELF file.
    BadMagic,
    /// Not 64-bit little-endian AArch64, or not a static executable.
    Unsupported,
    /// A segment outside the allowed user range, or wrapping around.
    BadAddress,
    /// Two segments share a page.
    Overlap,
    /// More segments or more memory than allowed.
    TooLarge,
    /// A segment both writable and executable.
    WriteExecute,
    /// The entry point is not inside an executable segment.
    BadEntry,
    /// Internally inconsistent sizes.
    Malformed,
}

const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const EHDR_SIZE: usize = 64;
const PHDR_SIZE: usize = 56;

fn u16_at(b: &[u8], off: usize) -> Result<u16, ElfError> {
    let s = b.get(off..off + 2).ok_or(ElfError::Truncated)?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, ElfError> {
    let s = b.get(off..off + 4).ok_or(ElfError::Truncated)?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], off: usize) -> Result<usize, ElfError> {
    let s = b.get(off..off + 8).ok_or(ElfError::Truncated)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    usize::try_from(u64::from_le_bytes(a)).map_err(|_| ElfError::BadAddress)
}

/// Parse `file`, accepting only segments inside `[user_min, user_end)` and
/// at most `max_bytes` of memory in total.
pub fn parse(
    file: &[u8],
    user_min: usize,
    user_end: usize,
    max_bytes: usize,
) -> Result<Executable, ElfError> {
    if file.len() < EHDR_SIZE {
        return Err(ElfError::Truncated);
    }
    if &file[0..4] != b"\x7fELF" {
        return Err(ElfError::BadMagic);
    }
    // 64-bit, little-endian, version 1.
    if file[4] != 2 || file[5] != 1 || file[6] != 1 {
        return Err(ElfError::Unsupported);
    }
    if u16_at(file, 16)? != ET_EXEC || u16_at(file, 18)? != EM_AARCH64 {
        return Err(ElfError::Unsupported);
    }
    let entry = u64_at(file, 24)?;
    let phoff = u64_at(file, 32)?;
    let phentsize = u16_at(file, 54)? as usize;
    let phnum = u16_at(file, 56)? as usize;
    if phentsize != PHDR_SIZE {
        return Err(ElfError::Malformed);
    }
    let table_end = phnum
        .checked_mul(PHDR_SIZE)
        .and_then(|n| n.checked_add(phoff))
        .ok_or(ElfError::Malformed)?;
    if table_end > file.len() {
        return Err(ElfError::Truncated);
    }

    let mut exe = Executable {
        entry,
        segments: [None; MAX_SEGMENTS],
    };
    let mut count = 0;
    let mut total = 0usize;
    for i in 0..phnum {
        let ph = phoff + i * PHDR_SIZE;
        if u32_at(file, ph)? != PT_LOAD {
            continue;
        }
        let flags = u32_at(file, ph + 4)?;
        let offset = u64_at(file, ph + 8)?;
        let vaddr = u64_at(file, ph + 16)?;
        let file_size = u64_at(file, ph + 32)?;
        let mem_size = u64_at(file, ph + 40)?;
        if mem_size == 0 {
            continue;
        }
        if file_size > mem_size {
            return Err(ElfError::Malformed);
        }
        let file_end = offset.checked_add(file_size).ok_or(ElfError::Malformed)?;
        if file_end > file.len() {
            return Err(ElfError::Truncated);
        }
        let end = vaddr.checked_add(mem_size).ok_or(ElfError::BadAddress)?;
        if vaddr < user_min || end > user_end {
            return Err(ElfError::BadAddress);
        }
        let seg = Segment {
            vaddr,
            mem_size,
            offset,
            file_size,
            writable: flags & PF_W != 0,
            executable: flags & PF_X != 0,
        };
        if seg.writable && seg.executable {
            return Err(ElfError::WriteExecute);
        }
        let (lo, hi) = seg.pages();
        total = total.checked_add(hi - lo).ok_or(ElfError::TooLarge)?;
        if total > max_bytes || count == MAX_SEGMENTS {
            return Err(ElfError::TooLarge);
        }
        for other in exe.segments() {
            let (olo, ohi) = other.pages();
            if lo < ohi && olo < hi {
                return Err(ElfError::Overlap);
            }
        }
        exe.segments[count] = Some(seg);
        count += 1;
    }
    if count == 0 {
        return Err(ElfError::Malformed);
    }
    if !exe
        .segments()
        .any(|s| s.executable && s.vaddr <= entry && entry < s.vaddr + s.mem_size)
    {
        return Err(ElfError::BadEntry);
    }
    Ok(exe)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const MIN: usize = 0x1_0000;
    const END: usize = 0x8000_0000_0000;
    const MAX: usize = 64 << 20;

    /// (vaddr, filesz, memsz, flags) per segment; data follows the headers.
    pub fn build(entry: u64, segs: &[(u64, u64, u64, u32)]) -> Vec<u8> {
        let mut f = vec![0u8; 64 + 56 * segs.len()];
        f[0..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[6] = 1;
        f[16..18].copy_from_slice(&ET_EXEC.to_le_bytes());
        f[18..20].copy_from_slice(&EM_AARCH64.to_le_bytes());
        f[24..32].copy_from_slice(&entry.to_le_bytes());
        f[32..40].copy_from_slice(&64u64.to_le_bytes());
        f[54..56].copy_from_slice(&56u16.to_le_bytes());
        f[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        for (i, &(vaddr, filesz, memsz, flags)) in segs.iter().enumerate() {
            let offset = f.len() as u64;
            f.extend(std::iter::repeat_n(0xab, filesz as usize));
            let ph = 64 + i * 56;
            f[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
            f[ph + 4..ph + 8].copy_from_slice(&flags.to_le_bytes());
            f[ph + 8..ph + 16].copy_from_slice(&offset.to_le_bytes());
            f[ph + 16..ph + 24].copy_from_slice(&vaddr.to_le_bytes());
            f[ph + 32..ph + 40].copy_from_slice(&filesz.to_le_bytes());
            f[ph + 40..ph + 48].copy_from_slice(&memsz.to_le_bytes());
        }
        f
    }

    fn good() -> Vec<u8> {
        build(
            0x40_0010,
            &[(0x40_0000, 0x100, 0x100, 5), (0x40_1000, 0x10, 0x2000, 6)],
        )
    }

    #[test]
    fn accepts_a_normal_executable() {
        let exe = parse(&good(), MIN, END, MAX).unwrap();
        assert_eq!(exe.entry, 0x40_0010);
        let segs: Vec<_> = exe.segments().collect();
        assert_eq!(segs.len(), 2);
        assert!(segs[0].executable && !segs[0].writable);
        assert!(segs[1].writable && !segs[1].executable);
        assert_eq!(segs[1].pages(), (0x40_1000, 0x40_3000));
    }

    #[test]
    fn rejects_truncation_anywhere() {
        let f = good();
        for len in 0..f.len() {
            assert!(
                parse(&f[..len], MIN, END, MAX).is_err(),
                "accepted {len} bytes"
            );
        }
    }

    #[test]
    fn rejects_wrong_machine_class_and_type() {
        let mut f = good();
        f[18] = 62; // x86-64
        assert_eq!(parse(&f, MIN, END, MAX), Err(ElfError::Unsupported));
        let mut f = good();
        f[4] = 1; // 32-bit
        assert_eq!(parse(&f, MIN, END, MAX), Err(ElfError::Unsupported));
        let mut f = good();
        f[16] = 3; // ET_DYN
        assert_eq!(parse(&f, MIN, END, MAX), Err(ElfError::Unsupported));
        let mut f = good();
        f[0] = 0;
        assert_eq!(parse(&f, MIN, END, MAX), Err(ElfError::BadMagic));
    }

    #[test]
    fn rejects_bad_segments() {
        let kernel = build(
            0xffff_0000_0000_0000,
            &[(0xffff_0000_0000_0000, 0x10, 0x10, 5)],
        );
        assert_eq!(parse(&kernel, MIN, END, MAX), Err(ElfError::BadAddress));
        let null_page = build(0x10, &[(0, 0x10, 0x10, 5)]);
        assert_eq!(parse(&null_page, MIN, END, MAX), Err(ElfError::BadAddress));
        let wraps = build(0x40_0000, &[(0x40_0000, 0, u64::MAX - 0x1000, 5)]);
        assert_eq!(parse(&wraps, MIN, END, MAX), Err(ElfError::BadAddress));
        let huge = build(0x40_0000, &[(0x40_0000, 0x10, 1 << 40, 5)]);
        assert_eq!(parse(&huge, MIN, END, MAX), Err(ElfError::TooLarge));
        let overlap = build(
            0x40_0000,
            &[(0x40_0000, 0x10, 0x1800, 5), (0x40_1000, 0x10, 0x10, 6)],
        );
        assert_eq!(parse(&overlap, MIN, END, MAX), Err(ElfError::Overlap));
        let wx = build(0x40_0000, &[(0x40_0000, 0x10, 0x10, 7)]);
        assert_eq!(parse(&wx, MIN, END, MAX), Err(ElfError::WriteExecute));
        let filesz_gt_memsz = build(0x40_0000, &[(0x40_0000, 0x20, 0x10, 5)]);
        assert_eq!(
            parse(&filesz_gt_memsz, MIN, END, MAX),
            Err(ElfError::Malformed)
        );
        let entry_in_data = build(
            0x40_1000,
            &[(0x40_0000, 0x10, 0x10, 5), (0x40_1000, 0x10, 0x10, 6)],
        );
        assert_eq!(
            parse(&entry_in_data, MIN, END, MAX),
            Err(ElfError::BadEntry)
        );
        let nothing = build(0x40_0000, &[]);
        assert_eq!(parse(&nothing, MIN, END, MAX), Err(ElfError::Malformed));
    }

    #[test]
    fn rejects_offsets_past_the_end() {
        let mut f = good();
        // First program header's p_offset -> far beyond the file.
        f[64 + 8..64 + 16].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert_eq!(parse(&f, MIN, END, MAX), Err(ElfError::Truncated));
        let mut f = good();
        f[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
        assert_eq!(parse(&f, MIN, END, MAX), Err(ElfError::Truncated));
    }
}

//! ELF to flat binary: lays the kernel's loadable segments out by physical
//! address, the way the Raspberry Pi firmware expects `kernel8.img`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use object::elf::{FileHeader64, EM_AARCH64, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, FileKind};

/// The largest image `objcopy` will produce; anything bigger means a broken
/// linker script (say, segments at wildly different addresses).
pub const MAX_IMAGE_SIZE: u64 = 256 * 1024 * 1024;

/// A flat binary image and where it belongs in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatImage {
    /// Physical address of the first byte (the lowest segment's `p_paddr`).
    pub load_addr: u64,
    /// The image bytes.
    pub bytes: Vec<u8>,
}

/// Why an ELF file could not be turned into a flat image.
#[derive(Debug)]
pub enum ObjcopyError {
    /// Reading the input file failed.
    Read(PathBuf, io::Error),
    /// Writing the output file failed.
    Write(PathBuf, io::Error),
    /// The input is not an ELF file.
    NotElf,
    /// The input is an ELF file, but not ELF64.
    NotElf64,
    /// The input is not built for AArch64; holds its `e_machine`.
    NotAarch64(u16),
    /// The ELF headers are inconsistent or point outside the file.
    Malformed(&'static str),
    /// No `PT_LOAD` segment has any file bytes.
    NoLoadableSegments,
    /// Two loadable segments overlap in physical memory; holds their `p_paddr`s.
    Overlap { first: u64, second: u64 },
    /// The image would be larger than [`MAX_IMAGE_SIZE`]; holds its size.
    TooLarge(u64),
}

impl fmt::Display for ObjcopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(path, err) => write!(f, "cannot read {}: {err}", path.display()),
            Self::Write(path, err) => write!(f, "cannot write {}: {err}", path.display()),
            Self::NotElf => f.write_str("not an ELF file"),
            Self::NotElf64 => f.write_str("not a 64-bit ELF file"),
            Self::NotAarch64(machine) => {
                write!(
                    f,
                    "not an AArch64 ELF file (e_machine {machine}, expected {EM_AARCH64})"
                )
            }
            Self::Malformed(what) => write!(f, "malformed ELF file: {what}"),
            Self::NoLoadableSegments => f.write_str("no loadable segment with file contents"),
            Self::Overlap { first, second } => write!(
                f,
                "loadable segments at physical addresses {first:#x} and {second:#x} overlap"
            ),
            Self::TooLarge(size) => write!(
                f,
                "image would be {size} bytes, more than the {MAX_IMAGE_SIZE}-byte limit"
            ),
        }
    }
}

impl std::error::Error for ObjcopyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(_, err) | Self::Write(_, err) => Some(err),
            _ => None,
        }
    }
}

/// One `PT_LOAD` segment's placement and file bytes.
struct Segment<'data> {
    paddr: u64,
    /// Size in memory, at least the file size.
    memsz: u64,
    bytes: &'data [u8],
}

impl Segment<'_> {
    fn file_end(&self) -> u64 {
        // Cannot overflow: checked when the segment was read.
        self.paddr + self.bytes.len() as u64
    }

    fn mem_end(&self) -> u64 {
        self.paddr.saturating_add(self.memsz)
    }
}

/// Turns an AArch64 ELF64 file into a flat image: the file bytes of every
/// `PT_LOAD` segment, placed at its `p_paddr` relative to the lowest one, with
/// zeros in the gaps. Memory-only tails (`.bss`) are not emitted.
pub fn elf_to_flat(data: &[u8]) -> Result<FlatImage, ObjcopyError> {
    let segments = loadable_segments(data)?;
    let (Some(first), Some(last_end)) = (
        segments.first(),
        segments.iter().map(Segment::file_end).max(),
    ) else {
        return Err(ObjcopyError::NoLoadableSegments);
    };
    for pair in segments.windows(2) {
        if pair[1].paddr < pair[0].mem_end() {
            return Err(ObjcopyError::Overlap {
                first: pair[0].paddr,
                second: pair[1].paddr,
            });
        }
    }

    let load_addr = first.paddr;
    let size = last_end - load_addr;
    if size > MAX_IMAGE_SIZE {
        return Err(ObjcopyError::TooLarge(size));
    }
    // Both conversions are bounded by MAX_IMAGE_SIZE.
    let mut bytes = vec![0u8; size as usize];
    for segment in &segments {
        let start = (segment.paddr - load_addr) as usize;
        bytes[start..start + segment.bytes.len()].copy_from_slice(segment.bytes);
    }
    Ok(FlatImage { load_addr, bytes })
}

/// Reads `input`, converts it with [`elf_to_flat`] and writes the image to
/// `output`.
pub fn objcopy_file(input: &Path, output: &Path) -> Result<FlatImage, ObjcopyError> {
    let data = std::fs::read(input).map_err(|err| ObjcopyError::Read(input.to_path_buf(), err))?;
    let image = elf_to_flat(&data)?;
    std::fs::write(output, &image.bytes)
        .map_err(|err| ObjcopyError::Write(output.to_path_buf(), err))?;
    Ok(image)
}

/// The `PT_LOAD` segments with file bytes, sorted by physical address.
fn loadable_segments(data: &[u8]) -> Result<Vec<Segment<'_>>, ObjcopyError> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => {}
        Ok(FileKind::Elf32) => return Err(ObjcopyError::NotElf64),
        _ => return Err(ObjcopyError::NotElf),
    }
    let header = FileHeader64::<Endianness>::parse(data)
        .map_err(|_| ObjcopyError::Malformed("unsupported ELF header"))?;
    let endian = header
        .endian()
        .map_err(|_| ObjcopyError::Malformed("unknown byte order"))?;
    let machine = header.e_machine(endian);
    if machine != EM_AARCH64 {
        return Err(ObjcopyError::NotAarch64(machine));
    }
    let headers = header
        .program_headers(endian, data)
        .map_err(|_| ObjcopyError::Malformed("bad program header table"))?;

    let mut segments = Vec::new();
    for phdr in headers {
        if phdr.p_type(endian) != PT_LOAD || phdr.p_filesz(endian) == 0 {
            continue;
        }
        let paddr = phdr.p_paddr(endian);
        let bytes = phdr
            .data(endian, data)
            .map_err(|_| ObjcopyError::Malformed("segment contents lie outside the file"))?;
        if paddr.checked_add(bytes.len() as u64).is_none() {
            return Err(ObjcopyError::Malformed(
                "segment extends past the end of the address space",
            ));
        }
        let memsz = phdr.p_memsz(endian).max(bytes.len() as u64);
        segments.push(Segment {
            paddr,
            memsz,
            bytes,
        });
    }
    segments.sort_by_key(|segment| segment.paddr);
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EM_X86_64: u16 = 62;
    const PT_NOTE: u32 = 4;

    /// A program header to put in a synthetic ELF file.
    struct Seg {
        p_type: u32,
        paddr: u64,
        data: Vec<u8>,
        memsz: u64,
    }

    fn load(paddr: u64, data: &[u8]) -> Seg {
        Seg {
            p_type: PT_LOAD,
            paddr,
            data: data.to_vec(),
            memsz: data.len() as u64,
        }
    }

    /// Builds a little-endian ELF64 file: header, program headers, then each
    /// segment's bytes in order.
    fn elf64(machine: u16, segs: &[Seg]) -> Vec<u8> {
        const EHDR: usize = 64;
        const PHDR: usize = 56;
        let mut out = Vec::new();
        out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&2u16.to_le_bytes()); // e_type: EXEC
        out.extend_from_slice(&machine.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // e_version
        out.extend_from_slice(&0x8_0000u64.to_le_bytes()); // e_entry
        out.extend_from_slice(&(EHDR as u64).to_le_bytes()); // e_phoff
        out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        out.extend_from_slice(&(EHDR as u16).to_le_bytes());
        out.extend_from_slice(&(PHDR as u16).to_le_bytes());
        out.extend_from_slice(&(segs.len() as u16).to_le_bytes());
        out.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
        out.extend_from_slice(&0u16.to_le_bytes()); // e_shnum
        out.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
        assert_eq!(out.len(), EHDR);

        let mut offset = (EHDR + PHDR * segs.len()) as u64;
        for seg in segs {
            out.extend_from_slice(&seg.p_type.to_le_bytes());
            out.extend_from_slice(&5u32.to_le_bytes()); // p_flags: R+X
            out.extend_from_slice(&offset.to_le_bytes());
            // A high-half virtual address, to show that p_paddr is what counts.
            out.extend_from_slice(&(seg.paddr | 0xffff_0000_0000_0000).to_le_bytes());
            out.extend_from_slice(&seg.paddr.to_le_bytes());
            out.extend_from_slice(&(seg.data.len() as u64).to_le_bytes());
            out.extend_from_slice(&seg.memsz.to_le_bytes());
            out.extend_from_slice(&0x1000u64.to_le_bytes());
            offset += seg.data.len() as u64;
        }
        for seg in segs {
            out.extend_from_slice(&seg.data);
        }
        out
    }

    #[test]
    fn single_segment() {
        let image = elf_to_flat(&elf64(EM_AARCH64, &[load(0x8_0000, b"kernel")])).unwrap();
        assert_eq!(image.load_addr, 0x8_0000);
        assert_eq!(image.bytes, b"kernel");
    }

    #[test]
    fn segments_are_sorted_and_gaps_zero_filled() {
        let elf = elf64(
            EM_AARCH64,
            &[load(0x8_0010, b"data"), load(0x8_0000, b"text")],
        );
        let image = elf_to_flat(&elf).unwrap();
        assert_eq!(image.load_addr, 0x8_0000);
        let mut expected = b"text".to_vec();
        expected.resize(0x10, 0);
        expected.extend_from_slice(b"data");
        assert_eq!(image.bytes, expected);
    }

    #[test]
    fn bss_tail_is_not_emitted() {
        let mut data = load(0x8_0008, b"data");
        data.memsz = 0x1000;
        let elf = elf64(EM_AARCH64, &[load(0x8_0000, b"text"), data]);
        assert_eq!(elf_to_flat(&elf).unwrap().bytes, b"text\0\0\0\0data");
    }

    #[test]
    fn memory_only_and_non_load_segments_are_ignored() {
        let bss = Seg {
            p_type: PT_LOAD,
            paddr: 0x1000,
            data: Vec::new(),
            memsz: 0x100,
        };
        let note = Seg {
            p_type: PT_NOTE,
            paddr: 0x2000,
            data: b"note".to_vec(),
            memsz: 4,
        };
        let image = elf_to_flat(&elf64(EM_AARCH64, &[bss, note, load(0x8_0000, b"text")])).unwrap();
        assert_eq!(image.load_addr, 0x8_0000);
        assert_eq!(image.bytes, b"text");
    }

    #[test]
    fn rejects_non_elf() {
        assert!(matches!(elf_to_flat(b""), Err(ObjcopyError::NotElf)));
        assert!(matches!(
            elf_to_flat(&[0u8; 128]),
            Err(ObjcopyError::NotElf)
        ));
    }

    #[test]
    fn rejects_elf32() {
        let mut elf = vec![0u8; 52];
        elf[..6].copy_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1]);
        assert!(matches!(elf_to_flat(&elf), Err(ObjcopyError::NotElf64)));
    }

    #[test]
    fn rejects_other_machines() {
        let elf = elf64(EM_X86_64, &[load(0x8_0000, b"text")]);
        assert!(matches!(
            elf_to_flat(&elf),
            Err(ObjcopyError::NotAarch64(EM_X86_64))
        ));
    }

    #[test]
    fn rejects_files_without_loadable_contents() {
        assert!(matches!(
            elf_to_flat(&elf64(EM_AARCH64, &[])),
            Err(ObjcopyError::NoLoadableSegments)
        ));
        let bss = Seg {
            p_type: PT_LOAD,
            paddr: 0x8_0000,
            data: Vec::new(),
            memsz: 0x100,
        };
        assert!(matches!(
            elf_to_flat(&elf64(EM_AARCH64, &[bss])),
            Err(ObjcopyError::NoLoadableSegments)
        ));
    }

    #[test]
    fn rejects_overlapping_segments() {
        let elf = elf64(
            EM_AARCH64,
            &[load(0x8_0000, b"textText"), load(0x8_0004, b"data")],
        );
        assert!(matches!(
            elf_to_flat(&elf),
            Err(ObjcopyError::Overlap {
                first: 0x8_0000,
                second: 0x8_0004
            })
        ));
    }

    #[test]
    fn rejects_segment_over_another_segments_bss() {
        let mut data = load(0x8_0000, b"data");
        data.memsz = 0x100;
        let elf = elf64(EM_AARCH64, &[data, load(0x8_0080, b"more")]);
        assert!(matches!(
            elf_to_flat(&elf),
            Err(ObjcopyError::Overlap { .. })
        ));
    }

    #[test]
    fn rejects_absurd_sizes() {
        let elf = elf64(EM_AARCH64, &[load(0, b"a"), load(MAX_IMAGE_SIZE, b"b")]);
        assert!(matches!(
            elf_to_flat(&elf),
            Err(ObjcopyError::TooLarge(size)) if size == MAX_IMAGE_SIZE + 1
        ));
        // Exactly at the limit is fine.
        let elf = elf64(EM_AARCH64, &[load(0, b"a"), load(MAX_IMAGE_SIZE - 1, b"b")]);
        assert_eq!(
            elf_to_flat(&elf).unwrap().bytes.len() as u64,
            MAX_IMAGE_SIZE
        );
    }

    #[test]
    fn rejects_segment_data_outside_the_file() {
        let mut elf = elf64(EM_AARCH64, &[load(0x8_0000, b"text")]);
        elf.truncate(elf.len() - 2);
        assert!(matches!(elf_to_flat(&elf), Err(ObjcopyError::Malformed(_))));
    }

    #[test]
    fn rejects_segment_wrapping_the_address_space() {
        let elf = elf64(EM_AARCH64, &[load(u64::MAX - 1, b"text")]);
        assert!(matches!(elf_to_flat(&elf), Err(ObjcopyError::Malformed(_))));
    }

    #[test]
    fn objcopy_file_reports_missing_input() {
        let missing = Path::new("/nonexistent/bootimg-test/kernel.elf");
        let err = objcopy_file(missing, Path::new("/nonexistent/out.bin")).unwrap_err();
        assert!(matches!(err, ObjcopyError::Read(..)));
        assert!(err.to_string().contains("cannot read"));
    }
}

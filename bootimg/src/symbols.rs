//! Address to function lookup: reads the function symbols (`STT_FUNC`, with
//! their `st_value` and `st_size`) from an ELF symbol table, demangles Rust
//! names, and finds the function containing a code address. Assembly labels
//! (untyped, size 0, in code) cover the gaps between functions.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use object::{FileKind, Object, ObjectSection, ObjectSymbol, SectionKind, SymbolKind};

/// One function: `[start, start + size)` holds its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub start: u64,
    pub size: u64,
    /// The demangled name (without the Rust hash suffix).
    pub name: String,
}

impl Symbol {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }

    fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end()
    }
}

/// Where an address lies: a function and the offset into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location<'a> {
    pub name: &'a str,
    pub offset: u64,
}

impl fmt::Display for Location<'_> {
    /// `name+0xoffset`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{:#x}", self.name, self.offset)
    }
}

/// Why a symbol table could not be read.
#[derive(Debug)]
pub enum SymbolsError {
    /// Reading the file failed.
    Read(PathBuf, io::Error),
    /// The file is not an ELF file (say, a flat `kernel8.img`).
    NotElf,
    /// The ELF file could not be parsed.
    Malformed(object::Error),
    /// The ELF file has no function symbols (it was stripped).
    NoSymbols,
}

impl fmt::Display for SymbolsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(path, err) => write!(f, "cannot read {}: {err}", path.display()),
            Self::NotElf => f.write_str("not an ELF file"),
            Self::Malformed(err) => write!(f, "malformed ELF file: {err}"),
            Self::NoSymbols => f.write_str("no function symbols (stripped?)"),
        }
    }
}

impl std::error::Error for SymbolsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(_, err) => Some(err),
            Self::Malformed(err) => Some(err),
            _ => None,
        }
    }
}

/// Function symbols sorted by start address, ready for lookups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolTable {
    symbols: Vec<Symbol>,
    /// `max_end[i]` is the largest end address among `symbols[..=i]`, so a
    /// lookup can stop walking back once no earlier symbol reaches the address.
    max_end: Vec<u64>,
}

impl SymbolTable {
    /// A table from `(start, size, name)` triples, in any order. Empty
    /// symbols (size 0) are dropped; names are used as given.
    pub fn new(symbols: impl IntoIterator<Item = (u64, u64, String)>) -> Self {
        let mut symbols: Vec<Symbol> = symbols
            .into_iter()
            .filter(|(_, size, _)| *size > 0)
            .map(|(start, size, name)| Symbol { start, size, name })
            .collect();
        // Among symbols with the same start, the smallest comes last and so
        // is found first: the most specific name wins.
        symbols.sort_by(|a, b| a.start.cmp(&b.start).then(b.size.cmp(&a.size)));
        let max_end = symbols
            .iter()
            .scan(0, |max, symbol| {
                *max = symbol.end().max(*max);
                Some(*max)
            })
            .collect();
        SymbolTable { symbols, max_end }
    }

    /// The function symbols of an ELF file (32- or 64-bit, any machine), with
    /// Rust names demangled.
    ///
    /// Assembly labels outside every function (such as exception vector
    /// code) are added too, each reaching up to the next symbol or the end
    /// of its section, so frames in hand-written code get a name as well.
    pub fn from_elf(data: &[u8]) -> Result<Self, SymbolsError> {
        match FileKind::parse(data) {
            Ok(FileKind::Elf32 | FileKind::Elf64) => {}
            _ => return Err(SymbolsError::NotElf),
        }
        let file = object::File::parse(data).map_err(SymbolsError::Malformed)?;
        let mut functions = Vec::new();
        // (start, end of its section, name)
        let mut labels = Vec::new();
        for symbol in file.symbols() {
            let Ok(name) = symbol.name() else { continue };
            let demangled = || format!("{:#}", rustc_demangle::demangle(name));
            if symbol.kind() == SymbolKind::Text && symbol.is_definition() {
                functions.push((symbol.address(), symbol.size(), demangled()));
            } else if symbol.kind() == SymbolKind::Unknown
                && symbol.size() == 0
                // `$x`, `$d`: AArch64 and Arm mapping symbols, not labels.
                && !name.is_empty()
                && !name.starts_with('$')
            {
                let Some(section) = symbol
                    .section_index()
                    .and_then(|index| file.section_by_index(index).ok())
                else {
                    continue;
                };
                if section.kind() == SectionKind::Text {
                    let end = section.address().saturating_add(section.size());
                    labels.push((symbol.address(), end, demangled()));
                }
            }
        }
        let functions = SymbolTable::new(functions);
        let labels = label_extents(labels, &functions);
        let table = SymbolTable::new(
            functions
                .symbols
                .into_iter()
                .chain(labels)
                .map(|Symbol { start, size, name }| (start, size, name)),
        );
        if table.is_empty() {
            return Err(SymbolsError::NoSymbols);
        }
        Ok(table)
    }

    /// Reads `path` and returns its function symbols, as [`from_elf`](Self::from_elf).
    pub fn read(path: &Path) -> Result<Self, SymbolsError> {
        let data = std::fs::read(path).map_err(|err| SymbolsError::Read(path.into(), err))?;
        Self::from_elf(&data)
    }

    /// The symbols, sorted by start address.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// The function containing `addr`, or `None` if no symbol covers it.
    /// When symbols nest or overlap, the one starting closest below wins.
    pub fn lookup(&self, addr: u64) -> Option<Location<'_>> {
        let candidates = self.symbols.partition_point(|symbol| symbol.start <= addr);
        (0..candidates)
            .rev()
            .take_while(|&i| self.max_end[i] > addr)
            .map(|i| &self.symbols[i])
            .find(|symbol| symbol.contains(addr))
            .map(|symbol| Location {
                name: &symbol.name,
                offset: addr - symbol.start,
            })
    }
}

/// Sizes for assembly `labels` (start, end of section, name): each reaches
/// up to the next function or label, or the end of its section. Labels inside
/// a function are dropped.
fn label_extents(labels: Vec<(u64, u64, String)>, functions: &SymbolTable) -> Vec<Symbol> {
    let mut starts: Vec<u64> = functions
        .symbols
        .iter()
        .map(|symbol| symbol.start)
        .chain(labels.iter().map(|&(start, _, _)| start))
        .collect();
    starts.sort_unstable();
    labels
        .into_iter()
        .filter(|&(start, _, _)| functions.lookup(start).is_none())
        .filter_map(|(start, section_end, name)| {
            let next = starts[starts.partition_point(|&s| s <= start)..]
                .first()
                .copied()
                .unwrap_or(u64::MAX);
            let size = next.min(section_end).checked_sub(start)?;
            Some(Symbol { start, size, name })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(symbols: &[(u64, u64, &str)]) -> SymbolTable {
        SymbolTable::new(
            symbols
                .iter()
                .map(|&(start, size, name)| (start, size, name.to_string())),
        )
    }

    fn lookup(table: &SymbolTable, addr: u64) -> Option<String> {
        table.lookup(addr).map(|location| location.to_string())
    }

    #[test]
    fn finds_the_containing_function() {
        let t = table(&[
            (0x2000, 0x100, "second"),
            (0x1000, 0x40, "first"),
            (0x3000, 0x10, "third"),
        ]);
        assert_eq!(lookup(&t, 0x1000).as_deref(), Some("first+0x0"));
        assert_eq!(lookup(&t, 0x103f).as_deref(), Some("first+0x3f"));
        assert_eq!(lookup(&t, 0x2054).as_deref(), Some("second+0x54"));
        assert_eq!(lookup(&t, 0x300c).as_deref(), Some("third+0xc"));
    }

    #[test]
    fn addresses_outside_every_function_are_not_found() {
        let t = table(&[(0x1000, 0x40, "first"), (0x2000, 0x100, "second")]);
        for addr in [0, 0xfff, 0x1040, 0x1fff, 0x2100, u64::MAX] {
            assert_eq!(lookup(&t, addr), None, "{addr:#x}");
        }
        assert_eq!(SymbolTable::default().lookup(0x1000), None);
    }

    #[test]
    fn empty_symbols_are_dropped() {
        let t = table(&[(0x1000, 0, "marker"), (0x1000, 0x10, "real")]);
        assert_eq!(t.symbols().len(), 1);
        assert_eq!(lookup(&t, 0x1000).as_deref(), Some("real+0x0"));
        assert!(table(&[(0x1000, 0, "marker")]).is_empty());
    }

    #[test]
    fn nested_and_overlapping_symbols() {
        let t = table(&[
            (0x1000, 0x1000, "outer"),
            (0x1100, 0x10, "inner"),
            (0x1200, 0x10, "other"),
        ]);
        assert_eq!(lookup(&t, 0x1104).as_deref(), Some("inner+0x4"));
        // Past `inner` and `other`, but still inside `outer`.
        assert_eq!(lookup(&t, 0x1180).as_deref(), Some("outer+0x180"));
        assert_eq!(lookup(&t, 0x1ff0).as_deref(), Some("outer+0xff0"));
        // Same start: the smaller symbol is the more specific one.
        let t = table(&[(0x1000, 0x100, "big"), (0x1000, 0x20, "small")]);
        assert_eq!(lookup(&t, 0x1010).as_deref(), Some("small+0x10"));
        assert_eq!(lookup(&t, 0x1080).as_deref(), Some("big+0x80"));
    }

    #[test]
    fn symbol_at_the_top_of_the_address_space() {
        let t = table(&[(u64::MAX - 0xf, 0x10, "last")]);
        assert_eq!(lookup(&t, u64::MAX - 1).as_deref(), Some("last+0xe"));
    }

    const STT_NOTYPE: u8 = 0;
    const STT_OBJECT: u8 = 1;
    const STT_FUNC: u8 = 2;
    const STB_GLOBAL: u8 = 1;
    const SHT_SYMTAB: u32 = 2;
    const SHT_STRTAB: u32 = 3;
    const SHT_PROGBITS: u32 = 1;

    /// An `Elf64_Sym`: name, type, section index, value, size.
    struct Sym(&'static str, u8, u16, u64, u64);

    /// Builds a little-endian AArch64 ELF64 file with no segments, a `.text`
    /// section (index 1, addresses 0x1000 to 0x1180, its bytes those of the
    /// file's start) and a symbol table (index 2) holding `syms`.
    fn elf64_with_symbols(syms: &[Sym]) -> Vec<u8> {
        const EHDR: usize = 64;
        const SHDR: usize = 64;
        const SYM: usize = 24;
        let mut strtab = vec![0u8];
        let mut symtab = vec![0u8; SYM]; // the null symbol
        for Sym(name, kind, shndx, value, size) in syms {
            let name_offset = strtab.len() as u32;
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
            symtab.extend_from_slice(&name_offset.to_le_bytes());
            symtab.push((STB_GLOBAL << 4) | kind);
            symtab.push(0); // st_other
            symtab.extend_from_slice(&shndx.to_le_bytes());
            symtab.extend_from_slice(&value.to_le_bytes());
            symtab.extend_from_slice(&size.to_le_bytes());
        }
        let shstrtab = b"\0.text\0.symtab\0.strtab\0.shstrtab\0";
        // The symbol table and section headers must be 8-byte aligned.
        let symtab_offset = EHDR;
        let strtab_offset = symtab_offset + symtab.len();
        let shstrtab_offset = strtab_offset + strtab.len();
        let shoff = (shstrtab_offset + shstrtab.len()).next_multiple_of(8);

        let mut out = Vec::new();
        out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&2u16.to_le_bytes()); // e_type: EXEC
        out.extend_from_slice(&183u16.to_le_bytes()); // e_machine: AArch64
        out.extend_from_slice(&1u32.to_le_bytes()); // e_version
        out.extend_from_slice(&0u64.to_le_bytes()); // e_entry
        out.extend_from_slice(&0u64.to_le_bytes()); // e_phoff
        out.extend_from_slice(&(shoff as u64).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        out.extend_from_slice(&(EHDR as u16).to_le_bytes());
        out.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
        out.extend_from_slice(&0u16.to_le_bytes()); // e_phnum
        out.extend_from_slice(&(SHDR as u16).to_le_bytes());
        out.extend_from_slice(&5u16.to_le_bytes()); // e_shnum
        out.extend_from_slice(&4u16.to_le_bytes()); // e_shstrndx
        assert_eq!(out.len(), EHDR);
        out.extend_from_slice(&symtab);
        out.extend_from_slice(&strtab);
        out.extend_from_slice(shstrtab);
        out.resize(shoff, 0);

        // name (in .shstrtab), type, flags, addr, offset, size, link
        let sections: [(u32, u32, u64, u64, usize, usize, u32); 5] = [
            (0, 0, 0, 0, 0, 0, 0),                     // the null section
            (1, SHT_PROGBITS, 6, 0x1000, 0, 0x180, 0), // .text: alloc+exec
            (7, SHT_SYMTAB, 0, 0, symtab_offset, symtab.len(), 3),
            (15, SHT_STRTAB, 0, 0, strtab_offset, strtab.len(), 0),
            (23, SHT_STRTAB, 0, 0, shstrtab_offset, shstrtab.len(), 0),
        ];
        for (name, kind, flags, addr, offset, size, link) in sections {
            let symtab = kind == SHT_SYMTAB;
            out.extend_from_slice(&name.to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&flags.to_le_bytes());
            out.extend_from_slice(&addr.to_le_bytes());
            out.extend_from_slice(&(offset as u64).to_le_bytes());
            out.extend_from_slice(&(size as u64).to_le_bytes());
            out.extend_from_slice(&link.to_le_bytes());
            // sh_info: for .symtab, the index of the first global symbol.
            out.extend_from_slice(&u32::from(symtab).to_le_bytes());
            out.extend_from_slice(&8u64.to_le_bytes()); // sh_addralign
            let entsize = if symtab { SYM as u64 } else { 0 };
            out.extend_from_slice(&entsize.to_le_bytes());
        }
        out
    }

    #[test]
    fn reads_function_symbols_from_an_elf_file() {
        let elf = elf64_with_symbols(&[
            Sym(
                "_ZN6kernel5panic5panic17h0123456789abcdefE",
                STT_FUNC,
                1,
                0x1000,
                0x80,
            ),
            Sym("plain_c_function", STT_FUNC, 1, 0x1080, 0x20),
            Sym("SOME_DATA", STT_OBJECT, 1, 0x10a0, 0x40),
            Sym("empty_function", STT_FUNC, 1, 0x10e0, 0),
            Sym("undefined_function", STT_FUNC, 0, 0, 0x10),
        ]);
        let t = SymbolTable::from_elf(&elf).unwrap();
        assert_eq!(
            t.symbols(),
            [
                Symbol {
                    start: 0x1000,
                    size: 0x80,
                    name: "kernel::panic::panic".into(),
                },
                Symbol {
                    start: 0x1080,
                    size: 0x20,
                    name: "plain_c_function".into(),
                },
            ]
        );
        assert_eq!(
            lookup(&t, 0x1054).as_deref(),
            Some("kernel::panic::panic+0x54")
        );
        assert_eq!(lookup(&t, 0x10b0), None, "data symbols are not functions");
        assert_eq!(lookup(&t, 0x10e0), None);
    }

    #[test]
    fn assembly_labels_fill_the_gaps_between_functions() {
        let elf = elf64_with_symbols(&[
            Sym("function", STT_FUNC, 1, 0x1000, 0x80),
            Sym("_start", STT_NOTYPE, 1, 0x1000, 0),
            Sym("inside", STT_NOTYPE, 1, 0x1010, 0),
            Sym("boot_high", STT_NOTYPE, 1, 0x1100, 0),
            Sym("$x", STT_NOTYPE, 1, 0x1120, 0),
            Sym("vectors", STT_NOTYPE, 1, 0x1160, 0),
            Sym("not_code", STT_NOTYPE, 3, 0x1190, 0),
        ]);
        let t = SymbolTable::from_elf(&elf).unwrap();
        let names: Vec<(u64, u64, &str)> = t
            .symbols()
            .iter()
            .map(|symbol| (symbol.start, symbol.size, symbol.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (0x1000, 0x80, "function"),
                (0x1100, 0x60, "boot_high"),
                (0x1160, 0x20, "vectors"),
            ]
        );
        assert_eq!(lookup(&t, 0x1010).as_deref(), Some("function+0x10"));
        assert_eq!(lookup(&t, 0x1090), None);
        assert_eq!(lookup(&t, 0x1124).as_deref(), Some("boot_high+0x24"));
        assert_eq!(lookup(&t, 0x117c).as_deref(), Some("vectors+0x1c"));
        assert_eq!(lookup(&t, 0x1180), None, "past the end of .text");
    }

    #[test]
    fn elf_without_function_symbols() {
        let elf = elf64_with_symbols(&[Sym("SOME_DATA", STT_OBJECT, 1, 0x1100, 0x40)]);
        assert!(matches!(
            SymbolTable::from_elf(&elf),
            Err(SymbolsError::NoSymbols)
        ));
    }

    #[test]
    fn rejects_non_elf_and_malformed_files() {
        assert!(matches!(
            SymbolTable::from_elf(b"not really a kernel"),
            Err(SymbolsError::NotElf)
        ));
        let mut elf = elf64_with_symbols(&[Sym("f", STT_FUNC, 1, 0x1000, 4)]);
        elf.truncate(100);
        assert!(matches!(
            SymbolTable::from_elf(&elf),
            Err(SymbolsError::Malformed(_))
        ));
    }

    #[test]
    fn reads_this_test_binary() {
        // A host ELF with a full symbol table: whatever the machine, the
        // reader must find this very test function, demangled.
        let exe = std::env::current_exe().unwrap();
        let t = SymbolTable::read(&exe).unwrap();
        let this = t
            .symbols()
            .iter()
            .find(|symbol| {
                symbol
                    .name
                    .ends_with("symbols::tests::reads_this_test_binary")
            })
            .expect("test function not in the symbol table");
        assert!(
            !this.name.contains("::h"),
            "hash not dropped: {}",
            this.name
        );
        let location = t.lookup(this.start + 1).unwrap();
        assert_eq!(location.offset, 1);
    }

    #[test]
    fn read_reports_a_missing_file() {
        let err = SymbolTable::read(Path::new("/nonexistent/bootimg-test/k.elf")).unwrap_err();
        assert!(matches!(err, SymbolsError::Read(..)));
        assert!(err.to_string().contains("cannot read"));
    }
}

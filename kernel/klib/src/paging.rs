//! AArch64 stage-1 translation tables, 4 KiB granule, 48-bit virtual
//! addresses (four levels, 512 entries each): descriptor encoding and a
//! walker that maps, unmaps and translates.
//!
//! The walker reaches tables through [`TableAccess`], so the kernel can use
//! its linear map and the host tests can use plain heap memory.

use crate::PAGE_SIZE;

pub const ENTRIES: usize = 512;
/// Size covered by a level-2 block descriptor.
pub const BLOCK_2M: usize = 2 * 1024 * 1024;

/// MAIR_EL1 attribute indices: the kernel programs MAIR with [`MAIR_VALUE`].
pub const MAIR_DEVICE: u64 = 0;
pub const MAIR_NORMAL: u64 = 1;
pub const MAIR_NORMAL_NC: u64 = 2;
/// Attr0 = Device-nGnRE, Attr1 = Normal write-back RW-allocate,
/// Attr2 = Normal non-cacheable.
pub const MAIR_VALUE: u64 = 0x04 | (0xff << 8) | (0x44 << 16);

const VALID: u64 = 1 << 0;
/// In levels 0-2: next level is a table. In level 3: a page.
const TABLE_OR_PAGE: u64 = 1 << 1;
const ATTR_INDEX_SHIFT: u64 = 2;
const AP_EL0: u64 = 1 << 6;
const AP_READ_ONLY: u64 = 1 << 7;
const SH_INNER: u64 = 0b11 << 8;
const ACCESS_FLAG: u64 = 1 << 10;
const NOT_GLOBAL: u64 = 1 << 11;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const ADDR_MASK: u64 = 0x0000_ffff_ffff_f000;

/// What kind of memory a mapping is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemType {
    Normal,
    Device,
    NormalNonCacheable,
}

/// Permissions of a mapping. A mapping is executable by exactly the level
/// that owns it: user mappings are never executable by the kernel (PXN) and
/// kernel mappings never by user code (UXN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags {
    pub mem: MemType,
    pub writable: bool,
    pub executable: bool,
    /// Accessible from EL0 (and then non-global, tagged with the ASID).
    pub user: bool,
}

impl Flags {
    pub const KERNEL_RW: Flags = Flags {
        mem: MemType::Normal,
        writable: true,
        executable: false,
        user: false,
    };
    pub const KERNEL_RO: Flags = Flags {
        mem: MemType::Normal,
        writable: false,
        executable: false,
        user: false,
    };
    pub const KERNEL_RX: Flags = Flags {
        mem: MemType::Normal,
        writable: false,
        executable: true,
        user: false,
    };
    pub const DEVICE: Flags = Flags {
        mem: MemType::Device,
        writable: true,
        executable: false,
        user: false,
    };

    /// W^X: a mapping may be writable or executable, never both.
    pub const fn is_wx(&self) -> bool {
        self.writable && self.executable
    }

    /// The descriptor bits (everything but the address and type bits).
    pub const fn bits(&self) -> u64 {
        let attr = match self.mem {
            MemType::Normal => MAIR_NORMAL,
            MemType::Device => MAIR_DEVICE,
            MemType::NormalNonCacheable => MAIR_NORMAL_NC,
        };
        let mut d = VALID | ACCESS_FLAG | (attr << ATTR_INDEX_SHIFT);
        if !matches!(self.mem, MemType::Device) {
            d |= SH_INNER;
        }
        if !self.writable {
            d |= AP_READ_ONLY;
        }
        if self.user {
            d |= AP_EL0 | NOT_GLOBAL | PXN;
            if !self.executable {
                d |= UXN;
            }
        } else {
            d |= UXN;
            if !self.executable {
                d |= PXN;
            }
        }
        d
    }

    /// Recover the flags from a leaf descriptor.
    pub const fn from_bits(d: u64) -> Flags {
        let mem = match (d >> ATTR_INDEX_SHIFT) & 0b111 {
            MAIR_NORMAL => MemType::Normal,
            MAIR_NORMAL_NC => MemType::NormalNonCacheable,
            _ => MemType::Device,
        };
        let user = d & AP_EL0 != 0;
        let executable = if user { d & UXN == 0 } else { d & PXN == 0 };
        Flags {
            mem,
            writable: d & AP_READ_ONLY == 0,
            executable,
            user,
        }
    }
}

/// How the walker reaches and creates tables.
pub trait TableAccess {
    /// A pointer through which the table at physical address `pa` can be
    /// read and written.
    fn table(&mut self, pa: usize) -> *mut [u64; ENTRIES];
    /// A new zeroed table, by physical address.
    fn alloc_table(&mut self) -> Option<usize>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Addresses or size not page aligned, or the range wraps.
    Misaligned,
    /// Something is already mapped in the range.
    AlreadyMapped,
    /// No memory for an intermediate table.
    NoMemory,
    /// A mapping that would be writable and executable.
    WriteExecute,
    /// The operation would split a block mapping.
    SplitsBlock,
}

/// The index of `va` in the table at `level` (0..=3).
pub const fn index(va: usize, level: usize) -> usize {
    (va >> (39 - 9 * level)) & (ENTRIES - 1)
}

fn read(t: &mut dyn TableAccess, table: usize, i: usize) -> u64 {
    // SAFETY: `TableAccess::table` returns a valid pointer to a table.
    unsafe { (*t.table(table))[i] }
}

fn write(t: &mut dyn TableAccess, table: usize, i: usize, value: u64) {
    // SAFETY: `TableAccess::table` returns a valid pointer to a table.
    unsafe { (*t.table(table))[i] = value }
}

/// The table at the next level below entry `i` of `table`, creating it if
/// needed. Fails if the entry is a block.
fn next_table(t: &mut dyn TableAccess, table: usize, i: usize) -> Result<usize, MapError> {
    let e = read(t, table, i);
    if e & VALID == 0 {
        let new = t.alloc_table().ok_or(MapError::NoMemory)?;
        write(t, table, i, new as u64 | VALID | TABLE_OR_PAGE);
        Ok(new)
    } else if e & TABLE_OR_PAGE == 0 {
        Err(MapError::AlreadyMapped)
    } else {
        Ok((e & ADDR_MASK) as usize)
    }
}

/// Map `[va, va+size)` to `[pa, pa+size)` with `flags` in the tables rooted
/// at `root`. Uses 2 MiB blocks where `allow_blocks` and alignment permit.
/// On error, what was mapped before the error stays mapped.
pub fn map(
    t: &mut dyn TableAccess,
    root: usize,
    va: usize,
    pa: usize,
    size: usize,
    flags: Flags,
    allow_blocks: bool,
) -> Result<(), MapError> {
    if flags.is_wx() {
        return Err(MapError::WriteExecute);
    }
    if !(va | pa | size).is_multiple_of(PAGE_SIZE) || va.checked_add(size).is_none() {
        return Err(MapError::Misaligned);
    }
    let mut off = 0;
    while off < size {
        let (v, p) = (va + off, pa + off);
        let l1 = next_table(t, root, index(v, 0))?;
        let l2 = next_table(t, l1, index(v, 1))?;
        if allow_blocks && (v | p) % BLOCK_2M == 0 && size - off >= BLOCK_2M {
            let i = index(v, 2);
            if read(t, l2, i) & VALID != 0 {
                return Err(MapError::AlreadyMapped);
            }
            write(t, l2, i, (p as u64 & ADDR_MASK) | flags.bits());
            off += BLOCK_2M;
            continue;
        }
        let l3 = next_table(t, l2, index(v, 2))?;
        let i = index(v, 3);
        if read(t, l3, i) & VALID != 0 {
            return Err(MapError::AlreadyMapped);
        }
        write(
            t,
            l3,
            i,
            (p as u64 & ADDR_MASK) | flags.bits() | TABLE_OR_PAGE,
        );
        off += PAGE_SIZE;
    }
    Ok(())
}

/// Where the leaf descriptor for `va` lives: (table, index, level).
fn find_leaf(t: &mut dyn TableAccess, root: usize, va: usize) -> Option<(usize, usize, usize)> {
    let mut table = root;
    for level in 0..4 {
        let i = index(va, level);
        let e = read(t, table, i);
        if e & VALID == 0 {
            return None;
        }
        if level == 3 || e & TABLE_OR_PAGE == 0 {
            return Some((table, i, level));
        }
        table = (e & ADDR_MASK) as usize;
    }
    None
}

fn leaf_size(level: usize) -> usize {
    1 << (39 - 9 * level)
}

/// The physical address and flags `va` translates to, if mapped.
pub fn translate(t: &mut dyn TableAccess, root: usize, va: usize) -> Option<(usize, Flags)> {
    let (table, i, level) = find_leaf(t, root, va)?;
    let e = read(t, table, i);
    let size = leaf_size(level);
    let pa = (e & ADDR_MASK) as usize & !(size - 1);
    Some((pa + (va & (size - 1)), Flags::from_bits(e)))
}

/// Remove the 4 KiB page mapping at `va`, returning the physical frame it
/// mapped. The caller must invalidate the TLB entry. Intermediate tables are
/// kept (they are freed with the address space).
pub fn unmap_page(
    t: &mut dyn TableAccess,
    root: usize,
    va: usize,
) -> Result<Option<usize>, MapError> {
    if !va.is_multiple_of(PAGE_SIZE) {
        return Err(MapError::Misaligned);
    }
    match find_leaf(t, root, va) {
        None => Ok(None),
        Some((_, _, level)) if level != 3 => Err(MapError::SplitsBlock),
        Some((table, i, _)) => {
            let e = read(t, table, i);
            write(t, table, i, 0);
            Ok(Some((e & ADDR_MASK) as usize))
        }
    }
}

/// Free a whole tree of tables rooted at `root`: `leaf` is called with the
/// physical address of every mapped 4 KiB page (level-3 entry) and `table`
/// with every table, the root last. Block mappings are not expected in
/// trees that are destroyed (user address spaces) and are skipped.
pub fn destroy(
    t: &mut dyn TableAccess,
    root: usize,
    leaf: &mut dyn FnMut(usize),
    table: &mut dyn FnMut(usize),
) {
    fn walk(
        t: &mut dyn TableAccess,
        pa: usize,
        level: usize,
        leaf: &mut dyn FnMut(usize),
        table: &mut dyn FnMut(usize),
    ) {
        let tbl = t.table(pa);
        for i in 0..ENTRIES {
            // SAFETY: `TableAccess::table` returns a valid pointer to a table.
            let e = unsafe { (*tbl)[i] };
            if e & VALID == 0 {
                continue;
            }
            let next = (e & ADDR_MASK) as usize;
            if level == 3 {
                leaf(next);
            } else if e & TABLE_OR_PAGE != 0 {
                walk(t, next, level + 1, leaf, table);
            }
        }
        table(pa);
    }
    walk(t, root, 0, leaf, table);
}

/// Free every table below `root` that maps nothing, clearing the entry
/// that pointed to it; returns how many were freed. The root stays. The
/// caller must invalidate cached walks (TLB) for the tree afterwards.
pub fn prune_empty(
    t: &mut dyn TableAccess,
    root: usize,
    free_table: &mut dyn FnMut(usize),
) -> usize {
    /// Returns whether the table at `pa` is now empty.
    fn walk(
        t: &mut dyn TableAccess,
        pa: usize,
        level: usize,
        free: &mut dyn FnMut(usize),
        n: &mut usize,
    ) -> bool {
        let mut empty = true;
        for i in 0..ENTRIES {
            let e = read(t, pa, i);
            if e & VALID == 0 {
                continue;
            }
            if level < 3 && e & TABLE_OR_PAGE != 0 {
                let child = (e & ADDR_MASK) as usize;
                if walk(t, child, level + 1, free, n) {
                    write(t, pa, i, 0);
                    free(child);
                    *n += 1;
                    continue;
                }
            }
            empty = false;
        }
        empty
    }
    let mut freed = 0;
    walk(t, root, 0, free_table, &mut freed);
    freed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Tables in host memory; "physical" addresses are fake, page-aligned.
    struct HostTables {
        tables: HashMap<usize, Box<[u64; ENTRIES]>>,
        next: usize,
        limit: usize,
    }

    impl HostTables {
        fn new(limit: usize) -> (Self, usize) {
            let mut h = HostTables {
                tables: HashMap::new(),
                next: 0x1000_0000,
                limit,
            };
            let root = h.alloc_table().unwrap();
            (h, root)
        }
    }

    impl TableAccess for HostTables {
        fn table(&mut self, pa: usize) -> *mut [u64; ENTRIES] {
            &mut **self
                .tables
                .get_mut(&pa)
                .expect("walker followed a bogus table address")
        }
        fn alloc_table(&mut self) -> Option<usize> {
            if self.tables.len() >= self.limit {
                return None;
            }
            let pa = self.next;
            self.next += PAGE_SIZE;
            self.tables.insert(pa, Box::new([0; ENTRIES]));
            Some(pa)
        }
    }

    const KVA: usize = 0xffff_0000_4000_0000;

    #[test]
    fn map_translate_unmap_pages() {
        let (mut h, root) = HostTables::new(16);
        map(
            &mut h,
            root,
            KVA,
            0x4000_0000,
            3 * PAGE_SIZE,
            Flags::KERNEL_RW,
            false,
        )
        .unwrap();
        assert_eq!(
            translate(&mut h, root, KVA + 0x1234),
            Some((0x4000_1234, Flags::KERNEL_RW))
        );
        assert_eq!(translate(&mut h, root, KVA + 3 * PAGE_SIZE), None);
        assert_eq!(
            unmap_page(&mut h, root, KVA + PAGE_SIZE),
            Ok(Some(0x4000_1000))
        );
        assert_eq!(translate(&mut h, root, KVA + PAGE_SIZE), None);
        assert_eq!(unmap_page(&mut h, root, KVA + PAGE_SIZE), Ok(None));
        assert!(translate(&mut h, root, KVA + 2 * PAGE_SIZE).is_some());
    }

    #[test]
    fn blocks_used_when_aligned_and_not_split() {
        let (mut h, root) = HostTables::new(16);
        map(
            &mut h,
            root,
            KVA,
            0x4000_0000,
            2 * BLOCK_2M + PAGE_SIZE,
            Flags::KERNEL_RO,
            true,
        )
        .unwrap();
        // Root, L1, L2 and one L3 for the trailing page.
        assert_eq!(h.tables.len(), 4);
        assert_eq!(
            translate(&mut h, root, KVA + BLOCK_2M + 5),
            Some((0x4020_0005, Flags::KERNEL_RO))
        );
        assert_eq!(unmap_page(&mut h, root, KVA), Err(MapError::SplitsBlock));
    }

    #[test]
    fn double_map_wx_and_misalignment_rejected() {
        let (mut h, root) = HostTables::new(16);
        map(&mut h, root, KVA, 0, PAGE_SIZE, Flags::KERNEL_RX, false).unwrap();
        assert_eq!(
            map(&mut h, root, KVA, 0, PAGE_SIZE, Flags::KERNEL_RX, false),
            Err(MapError::AlreadyMapped)
        );
        let wx = Flags {
            writable: true,
            ..Flags::KERNEL_RX
        };
        assert_eq!(
            map(&mut h, root, KVA + PAGE_SIZE, 0, PAGE_SIZE, wx, false),
            Err(MapError::WriteExecute)
        );
        assert_eq!(
            map(&mut h, root, KVA + 1, 0, PAGE_SIZE, Flags::KERNEL_RW, false),
            Err(MapError::Misaligned)
        );
        assert_eq!(
            map(
                &mut h,
                root,
                usize::MAX & !0xfff,
                0,
                2 * PAGE_SIZE,
                Flags::KERNEL_RW,
                false
            ),
            Err(MapError::Misaligned)
        );
    }

    #[test]
    fn destroy_visits_every_page_and_table_once() {
        let (mut h, root) = HostTables::new(64);
        let user = Flags {
            mem: MemType::Normal,
            writable: true,
            executable: false,
            user: true,
        };
        map(
            &mut h,
            root,
            0x40_0000,
            0x9000_0000,
            3 * PAGE_SIZE,
            user,
            false,
        )
        .unwrap();
        map(
            &mut h,
            root,
            0x7fff_ffff_0000,
            0x9100_0000,
            PAGE_SIZE,
            user,
            false,
        )
        .unwrap();
        let tables_before = h.tables.len();
        let (mut leaves, mut tables) = (Vec::new(), Vec::new());
        destroy(&mut h, root, &mut |pa| leaves.push(pa), &mut |pa| {
            tables.push(pa)
        });
        leaves.sort();
        assert_eq!(leaves, [0x9000_0000, 0x9000_1000, 0x9000_2000, 0x9100_0000]);
        assert_eq!(tables.len(), tables_before);
        assert_eq!(*tables.last().unwrap(), root);
        tables.sort();
        tables.dedup();
        assert_eq!(tables.len(), tables_before);
    }

    #[test]
    fn prune_frees_exactly_the_empty_tables() {
        let (mut h, root) = HostTables::new(64);
        let user = Flags {
            mem: MemType::Normal,
            writable: true,
            executable: false,
            user: true,
        };
        map(&mut h, root, 0x40_0000, 0x9000_0000, PAGE_SIZE, user, false).unwrap();
        map(
            &mut h,
            root,
            0x10_0000_0000,
            0x9100_0000,
            2 * PAGE_SIZE,
            user,
            false,
        )
        .unwrap();
        assert_eq!(h.tables.len(), 6); // root, a shared L1, an L2 and an L3 per region
        let mut freed = Vec::new();
        assert_eq!(prune_empty(&mut h, root, &mut |pa| freed.push(pa)), 0);
        unmap_page(&mut h, root, 0x10_0000_0000).unwrap();
        assert_eq!(
            prune_empty(&mut h, root, &mut |pa| freed.push(pa)),
            0,
            "one page still mapped"
        );
        unmap_page(&mut h, root, 0x10_0000_1000).unwrap();
        assert_eq!(prune_empty(&mut h, root, &mut |pa| freed.push(pa)), 2);
        assert_eq!(
            translate(&mut h, root, 0x40_0000),
            Some((0x9000_0000, user))
        );
        assert_eq!(translate(&mut h, root, 0x10_0000_0000), None);
        // Mapping there again rebuilds the tables.
        map(
            &mut h,
            root,
            0x10_0000_0000,
            0x9200_0000,
            PAGE_SIZE,
            user,
            false,
        )
        .unwrap();
        assert_eq!(
            translate(&mut h, root, 0x10_0000_0000),
            Some((0x9200_0000, user))
        );
    }

    #[test]
    fn table_exhaustion_reported() {
        let (mut h, root) = HostTables::new(2);
        assert_eq!(
            map(&mut h, root, KVA, 0, PAGE_SIZE, Flags::KERNEL_RW, false),
            Err(MapError::NoMemory)
        );
    }

    #[test]
    fn descriptor_bits_follow_the_architecture() {
        let k = Flags::KERNEL_RX.bits();
        assert_ne!(k & UXN, 0, "kernel code never executable at EL0");
        assert_eq!(k & PXN, 0);
        assert_ne!(k & AP_READ_ONLY, 0);
        let user_rw = Flags {
            mem: MemType::Normal,
            writable: true,
            executable: false,
            user: true,
        };
        let u = user_rw.bits();
        assert_ne!(u & PXN, 0, "user pages never executable by the kernel");
        assert_ne!(u & UXN, 0);
        assert_ne!(u & NOT_GLOBAL, 0);
        assert_ne!(u & AP_EL0, 0);
        let user_rx = Flags {
            writable: false,
            executable: true,
            ..user_rw
        };
        assert_eq!(user_rx.bits() & UXN, 0);
        assert_ne!(user_rx.bits() & PXN, 0);
        assert_eq!((Flags::DEVICE.bits() >> 2) & 7, MAIR_DEVICE);
        for f in [
            Flags::KERNEL_RW,
            Flags::KERNEL_RO,
            Flags::KERNEL_RX,
            Flags::DEVICE,
            user_rw,
            user_rx,
        ] {
            assert_eq!(Flags::from_bits(f.bits()), f);
        }
    }
}

//! Discovering the machine's memory: RAM ranges and boot arguments from the
//! device tree when there is one, otherwise from the board's firmware probe
//! (the Pi mailbox); plus the ranges that must never be allocated.

use bsp_api::{phys_to_virt, Board, PhysRange};
use fdt_rs::base::DevTree;
use fdt_rs::prelude::{FallibleIterator, PropReader};
use klib::frames::Range;

pub const MAX_RANGES: usize = 8;
const BOOTARGS_MAX: usize = 256;
const FDT_MAGIC: u32 = 0xd00d_feed;

/// Where the RAM layout came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    DeviceTree,
    Firmware,
}

/// The machine's memory as found at boot.
pub struct MemoryMap {
    pub ram: [Range; MAX_RANGES],
    pub ram_count: usize,
    pub dtb: Option<Range>,
    pub source: Source,
    bootargs: [u8; BOOTARGS_MAX],
    bootargs_len: usize,
}

impl MemoryMap {
    pub fn ram(&self) -> &[Range] {
        &self.ram[..self.ram_count]
    }

    pub fn total_ram(&self) -> usize {
        self.ram().iter().map(|r| r.len()).sum()
    }

    /// The kernel command line (`/chosen/bootargs`), empty if none.
    pub fn bootargs(&self) -> &str {
        core::str::from_utf8(&self.bootargs[..self.bootargs_len]).unwrap_or("")
    }

    fn push_ram(&mut self, r: Range) {
        if self.ram_count < MAX_RANGES && !r.is_empty() {
            self.ram[self.ram_count] = r;
            self.ram_count += 1;
        }
    }
}

/// Errors that stop the boot: without RAM there is nothing to run on.
#[derive(Debug)]
pub enum MemMapError {
    NoMemoryFound,
}

fn read_be_u32(pa: usize) -> u32 {
    let va = phys_to_virt(pa);
    // SAFETY: the boot map covers the low 4 GiB; callers only pass
    // candidate DTB addresses from the boot loader or the board.
    let bytes = unsafe { core::ptr::read_volatile(va as *const [u8; 4]) };
    u32::from_be_bytes(bytes)
}

/// The device tree's physical address and size, if there is one at `pa`.
fn probe_dtb(pa: usize) -> Option<Range> {
    if pa == 0 || !pa.is_multiple_of(8) || pa >= 1 << 32 || read_be_u32(pa) != FDT_MAGIC {
        return None;
    }
    let size = read_be_u32(pa + 4) as usize;
    (size > 0 && size < 64 << 20).then(|| Range::new(pa, pa + size))
}

fn cells(buf: &[u8], at: usize, n: u32) -> Option<(usize, usize)> {
    let mut v: usize = 0;
    for i in 0..n as usize {
        let off = at + i * 4;
        let word = u32::from_be_bytes(buf.get(off..off + 4)?.try_into().ok()?);
        v = (v << 32) | word as usize;
    }
    Some((v, at + n as usize * 4))
}

fn parse_dtb(dtb: Range, map: &mut MemoryMap) -> Result<(), fdt_rs::error::DevTreeError> {
    // SAFETY: `dtb` was checked for the FDT magic and its header size; the
    // blob stays mapped and unmodified for the duration of the parse.
    let tree = unsafe {
        let bytes = core::slice::from_raw_parts(phys_to_virt(dtb.start) as *const u8, dtb.len());
        DevTree::new(bytes)?
    };
    let (mut addr_cells, mut size_cells) = (2u32, 1u32);
    let mut props = tree.props();
    while let Some(prop) = props.next()? {
        let node = prop.node();
        let node_name = node.name()?;
        let prop_name = prop.name()?;
        if node_name.is_empty() {
            match prop_name {
                "#address-cells" => addr_cells = prop.u32(0)?,
                "#size-cells" => size_cells = prop.u32(0)?,
                _ => {}
            }
        } else if (node_name == "memory" || node_name.starts_with("memory@")) && prop_name == "reg"
        {
            let raw = prop.raw();
            let mut at = 0;
            while let Some((base, next)) = cells(raw, at, addr_cells) {
                let Some((size, next)) = cells(raw, next, size_cells) else {
                    break;
                };
                map.push_ram(Range::new(base, base.saturating_add(size)));
                at = next;
            }
        } else if node_name == "chosen" && prop_name == "bootargs" {
            let s = prop.str()?.as_bytes();
            let n = s.len().min(BOOTARGS_MAX);
            map.bootargs[..n].copy_from_slice(&s[..n]);
            map.bootargs_len = n;
        }
    }
    Ok(())
}

/// Find RAM and boot arguments. `boot_x0` is what the boot loader passed.
pub fn discover(board: &dyn Board, boot_x0: usize) -> Result<MemoryMap, MemMapError> {
    let mut map = MemoryMap {
        ram: [Range::new(0, 0); MAX_RANGES],
        ram_count: 0,
        dtb: None,
        source: Source::DeviceTree,
        bootargs: [0; BOOTARGS_MAX],
        bootargs_len: 0,
    };
    map.dtb = core::iter::once(boot_x0)
        .chain(board.dtb_candidates().iter().copied())
        .find_map(probe_dtb);
    if let Some(dtb) = map.dtb {
        if let Err(e) = parse_dtb(dtb, &mut map) {
            crate::println!("[mem] device tree unreadable ({e:?}); asking the firmware");
            map.ram_count = 0;
        }
    }
    if map.ram_count == 0 {
        if let Some(probe) = board.memory_probe() {
            let mut found = [PhysRange::new(0, 0); MAX_RANGES];
            let n = probe.ram(&mut found);
            for r in &found[..n] {
                map.push_ram(Range::new(r.start, r.end()));
            }
            map.source = Source::Firmware;
        }
    }
    if map.ram_count == 0 {
        return Err(MemMapError::NoMemoryFound);
    }
    Ok(map)
}

//! The kernel's own translation tables (TTBR1): a linear map of all RAM at
//! [`LINEAR_BASE`](bsp_api::LINEAR_BASE) with W^X for the kernel image
//! (text read-execute, rodata read-only, the rest read-write, never
//! executable), and the board's MMIO windows as device memory.
//!
//! Built once at boot from a small pool of frames inside the kernel image
//! (so the tables are reachable through the boot map), then switched to
//! through an identity-mapped trampoline. Afterwards TTBR0 holds either the
//! running process's tables or [`EMPTY_TTBR0`], an empty table, so a stray
//! low address always faults.

use crate::mm::layout::KernelImage;
use bsp_api::{phys_to_virt, virt_to_phys, PhysRange};
use klib::frames::Range;
use klib::paging::{self, Flags, MapError, TableAccess, ENTRIES};
use klib::{align_down, align_up, PAGE_SIZE};
use spin::Mutex;

/// Frames for the boot-time kernel tables; enough for 16 GiB of RAM in
/// 2 MiB blocks plus the page-granular kernel image and device windows.
const POOL_PAGES: usize = 48;

#[repr(C, align(4096))]
struct Pool([[u64; ENTRIES]; POOL_PAGES]);

static mut POOL: Pool = Pool([[0; ENTRIES]; POOL_PAGES]);

/// Where table frames come from: the boot pool first, then (once it exists)
/// the frame allocator.
struct KernelTables {
    pool_used: usize,
}

impl TableAccess for KernelTables {
    fn table(&mut self, pa: usize) -> *mut [u64; ENTRIES] {
        phys_to_virt(pa) as *mut [u64; ENTRIES]
    }

    fn alloc_table(&mut self) -> Option<usize> {
        if self.pool_used < POOL_PAGES {
            // SAFETY: each pool page is handed out once; only this
            // allocator (under the KERNEL_TABLES lock) touches POOL.
            let page = unsafe { &raw mut POOL.0[self.pool_used] };
            self.pool_used += 1;
            return Some(virt_to_phys(page as usize));
        }
        let pa = crate::mm::frames::alloc_zeroed()?;
        Some(pa)
    }
}

struct State {
    tables: KernelTables,
    root: usize,
}

static KERNEL_TABLES: Mutex<Option<State>> = Mutex::new(None);

#[repr(C, align(4096))]
struct EmptyTable([u64; ENTRIES]);

/// An all-invalid level-0 table: TTBR0 when no process runs (ASID 0).
static EMPTY_TABLE: EmptyTable = EmptyTable([0; ENTRIES]);

/// The TTBR0 value that maps nothing.
pub fn empty_ttbr0() -> u64 {
    virt_to_phys(&raw const EMPTY_TABLE as usize) as u64
}

/// Switch the user half to `ttbr0` (a process's tables and ASID, or
/// [`empty_ttbr0`]). ASID-tagged TLB entries make a flush unnecessary.
pub fn set_ttbr0(ttbr0: u64) {
    // SAFETY: TTBR0 only maps user space, which the kernel reaches only
    // through the fault-checked user-copy routines.
    unsafe { core::arch::asm!("msr ttbr0_el1, {0}", "isb", in(reg) ttbr0, options(nostack)) };
}

/// The user half's current TTBR0 value.
pub fn ttbr0() -> u64 {
    let v: u64;
    // SAFETY: reads a system register; no side effects.
    unsafe { core::arch::asm!("mrs {0}, ttbr0_el1", out(reg) v, options(nomem, nostack)) };
    v
}

/// Invalidate every TLB entry tagged with `asid` (before it is reused).
pub fn flush_tlb_asid(asid: u16) {
    // SAFETY: TLB maintenance; no memory is accessed.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "tlbi aside1is, {0}",
            "dsb ish",
            "isb",
            in(reg) (asid as u64) << 48,
            options(nostack)
        );
    }
}

/// Invalidate the TLB entry for user page `va` in address space `asid`.
pub fn flush_tlb_user_page(va: usize, asid: u16) {
    // SAFETY: TLB maintenance; no memory is accessed.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "tlbi vae1is, {0}",
            "dsb ish",
            "isb",
            in(reg) ((asid as u64) << 48) | ((va as u64 >> 12) & 0xfff_ffff_ffff),
            options(nostack)
        );
    }
}

fn map_range(st: &mut State, start: usize, end: usize, flags: Flags) -> Result<(), MapError> {
    if end <= start {
        return Ok(());
    }
    paging::map(
        &mut st.tables,
        st.root,
        phys_to_virt(start),
        start,
        end - start,
        flags,
        true,
    )
}

/// Build the kernel tables for `ram` and `mmio`, then switch TTBR1 to them.
pub fn init(ram: &[Range], mmio: &[PhysRange], image: &KernelImage) -> Result<(), MapError> {
    let mut tables = KernelTables { pool_used: 0 };
    let root = tables.alloc_table().ok_or(MapError::NoMemory)?;
    let mut st = State { tables, root };

    for r in ram {
        let (start, end) = (align_up(r.start, PAGE_SIZE), align_down(r.end, PAGE_SIZE));
        // RAM below and above the image: read-write data.
        map_range(&mut st, start, end.min(image.text.start), Flags::KERNEL_RW)?;
        map_range(&mut st, start.max(image.end), end, Flags::KERNEL_RW)?;
    }
    map_range(&mut st, image.text.start, image.text.end, Flags::KERNEL_RX)?;
    map_range(
        &mut st,
        image.rodata.start,
        image.rodata.end,
        Flags::KERNEL_RO,
    )?;
    map_range(&mut st, image.rodata.end, image.end, Flags::KERNEL_RW)?;
    for m in mmio {
        let (start, end) = (align_down(m.start, PAGE_SIZE), align_up(m.end(), PAGE_SIZE));
        map_range(&mut st, start, end, Flags::DEVICE)?;
    }

    // SAFETY: the new tables map everything the kernel uses at the same
    // virtual addresses as the boot tables (the image, its stack, MMIO), so
    // execution continues seamlessly after the switch.
    unsafe { switch_ttbr1(root) };
    *KERNEL_TABLES.lock() = Some(st);
    Ok(())
}

/// Map `[va, va+size)` to `pa` in the kernel half (e.g. for tests or
/// vmalloc-style regions).
pub fn map_kernel(va: usize, pa: usize, size: usize, flags: Flags) -> Result<(), MapError> {
    let mut guard = KERNEL_TABLES.lock();
    let st = guard.as_mut().ok_or(MapError::NoMemory)?;
    paging::map(&mut st.tables, st.root, va, pa, size, flags, false)
}

/// Remove a 4 KiB kernel mapping and flush it from the TLB; returns the frame.
pub fn unmap_kernel_page(va: usize) -> Result<Option<usize>, MapError> {
    let mut guard = KERNEL_TABLES.lock();
    let st = guard.as_mut().ok_or(MapError::NoMemory)?;
    let pa = paging::unmap_page(&mut st.tables, st.root, va)?;
    flush_tlb_page(va);
    Ok(pa)
}

/// What a kernel virtual address translates to in the live tables.
pub fn translate_kernel(va: usize) -> Option<(usize, Flags)> {
    let mut guard = KERNEL_TABLES.lock();
    let st = guard.as_mut()?;
    paging::translate(&mut st.tables, st.root, va)
}

/// Invalidate the TLB entries for one page, all ASIDs, inner shareable.
pub fn flush_tlb_page(va: usize) {
    // SAFETY: TLB maintenance; no memory is accessed.
    unsafe {
        core::arch::asm!(
            "dsb ishst",
            "tlbi vaae1is, {0}",
            "dsb ish",
            "isb",
            in(reg) (va >> 12) & 0xfff_ffff_ffff,
            options(nostack)
        );
    }
}

core::arch::global_asm!(
    ".section .text.trampoline, \"ax\"",
    ".balign 4096",
    ".global __switch_ttbr1_phys",
    // x0 = new TTBR1. Runs from the identity map (TTBR0), so nothing it
    // executes depends on the tables being replaced.
    "__switch_ttbr1_phys:",
    "dsb ishst",
    "msr ttbr1_el1, x0",
    "isb",
    "tlbi vmalle1",
    "dsb nsh",
    "isb",
    "ret",
);

extern "C" {
    fn __switch_ttbr1_phys(root: usize);
}

/// Load a new TTBR1 through the identity-mapped trampoline, then point
/// TTBR0 at the empty table (the boot identity map is gone from then on).
///
/// # Safety
/// `root` must map at least the kernel image, stack and MMIO in use at the
/// same virtual addresses as the current tables.
unsafe fn switch_ttbr1(root: usize) {
    let trampoline_phys = virt_to_phys(__switch_ttbr1_phys as *const () as usize);
    // SAFETY: TTBR0 still holds the boot identity map, so the trampoline is
    // executable at its physical address; it returns to our (upper-half)
    // link register.
    unsafe {
        let f: extern "C" fn(usize) = core::mem::transmute(trampoline_phys);
        f(root);
        core::arch::asm!(
            "msr ttbr0_el1, {t}",
            "isb",
            "tlbi vmalle1",
            "dsb nsh",
            "isb",
            t = in(reg) empty_ttbr0(),
            options(nostack)
        );
    }
}

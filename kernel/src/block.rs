//! Block devices: gives the board's drivers DMA memory, collects the disks
//! the board finds (root disk first), routes their interrupts, and reads
//! partition tables.

use crate::mm::frames;
use alloc::vec::Vec;
use bsp_api::{BlockDevice, DmaAllocator, Irq, SECTOR_SIZE};
use klib::mbr::{self, Partition};
use spin::Mutex;

struct FrameDma;

impl DmaAllocator for FrameDma {
    fn alloc_pages(&self, pages: usize) -> Option<usize> {
        let pa = frames::alloc_contiguous(pages, 1)?;
        // SAFETY: freshly allocated frames, reachable in the linear map.
        unsafe {
            core::ptr::write_bytes(
                bsp_api::phys_to_virt(pa) as *mut u8,
                0,
                pages * klib::PAGE_SIZE,
            )
        };
        Some(pa)
    }

    fn free_pages(&self, pa: usize, pages: usize) {
        let _ = frames::free_contiguous(pa, pages);
    }
}

static DMA: &dyn DmaAllocator = &FrameDma;

static DISKS: Mutex<Vec<&'static dyn BlockDevice>> = Mutex::new(Vec::new());

/// Find the board's disks and enable their interrupts. Called once at boot.
pub fn init(board: &dyn bsp_api::Board) {
    bsp_api::set_dma(&DMA);
    let mut found = Vec::new();
    board.probe_block_devices(&mut |d| found.push(d));
    for d in &found {
        if let Some(irq) = d.irq() {
            board.interrupts().enable(irq);
        }
    }
    *DISKS.lock() = found;
}

/// The disks, root disk first.
pub fn disks() -> Vec<&'static dyn BlockDevice> {
    DISKS.lock().clone()
}

/// Interrupt `irq` belongs to a disk: acknowledge it there.
pub fn handle_irq(irq: Irq) -> bool {
    let Some(disks) = DISKS.try_lock() else {
        return false;
    };
    match disks.iter().find(|d| d.irq() == Some(irq)) {
        Some(d) => {
            d.handle_irq();
            true
        }
        None => false,
    }
}

/// The primary partitions of `disk`, if it has an MBR.
pub fn partitions(disk: &dyn BlockDevice) -> Option<[Option<Partition>; 4]> {
    let mut sector0 = [0u8; SECTOR_SIZE];
    disk.read(0, &mut sector0).ok()?;
    mbr::parse(&sector0, disk.sectors())
}

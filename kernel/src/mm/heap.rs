//! The kernel heap (`alloc`): a `linked_list_allocator` heap over frames
//! taken from the frame allocator at boot.

use bsp_api::phys_to_virt;
use klib::PAGE_SIZE;
use linked_list_allocator::LockedHeap;

/// Heap size: 16 MiB. IPC objects live here, bounded by the root
/// account's pools, so the heap is sized for all of them at once plus the
/// process table, 2 MiB for everything else and [`FS_BUFFERS`].
pub const HEAP_PAGES: usize = 4096;

/// Heap set aside for file-system buffers beyond the block caches: two
/// ext2 mounts' read-ahead segments (1 MiB each) and background write-back
/// buffers (`ext2::writeback`: at most 4 writes of 256 KiB in flight and
/// one run being collected, 1.25 MiB each), plus slack.
pub const FS_BUFFERS: usize = 5 * 1024 * 1024;

const _: () = assert!(
    HEAP_PAGES * PAGE_SIZE
        >= crate::ipc::worst_case_heap()
            + 2 * 1024 * 1024
            + FS_BUFFERS
            + crate::task::sched::MAX_PROCS * 8192,
    "kernel heap smaller than the IPC pools' worst case"
);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Give the heap its memory. Returns false if the frames could not be had.
pub fn init() -> bool {
    let Some(pa) = super::frames::alloc_contiguous(HEAP_PAGES, 1) else {
        return false;
    };
    // SAFETY: the frames are ours for good, mapped read-write in the linear
    // map, and the heap is initialised exactly once, here.
    unsafe {
        HEAP.lock()
            .init(phys_to_virt(pa) as *mut u8, HEAP_PAGES * PAGE_SIZE);
    }
    true
}

/// Bytes currently allocated from the heap.
pub fn used() -> usize {
    let _irq = crate::arch::cpu::IrqGuard::new();
    HEAP.lock().used()
}

/// Heap capacity in bytes.
pub fn size() -> usize {
    let _irq = crate::arch::cpu::IrqGuard::new();
    HEAP.lock().size()
}

//! The global allocator: a `linked_list_allocator` heap that starts at
//! `abi::layout::HEAP_BASE` and grows by mapping pages right above its top
//! with fixed-address `mem_map` calls. When the memory quota runs out the
//! allocation fails (and `alloc` reports it as a panic, ending the program).

use abi::layout::{HEAP_BASE, PAGE_SIZE};
use abi::sys::{PROT_READ, PROT_WRITE};
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::LockedHeap;

/// Grow in steps of at least this much.
const GROW_STEP: usize = 64 * 1024;

struct GrowingHeap(LockedHeap);

#[global_allocator]
static HEAP: GrowingHeap = GrowingHeap(LockedHeap::empty());

fn map_more(at: usize, at_least: usize) -> Option<usize> {
    let len = at_least.max(GROW_STEP).next_multiple_of(PAGE_SIZE);
    crate::sys::mem_map(at, len, PROT_READ | PROT_WRITE)
        .ok()
        .map(|_| len)
}

// SAFETY: allocations come from the linked-list heap, which hands out
// disjoint, suitably aligned blocks of memory this process has mapped.
unsafe impl GlobalAlloc for GrowingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.0.lock();
        if heap.size() == 0 {
            let Some(len) = map_more(HEAP_BASE, layout.size() + layout.align()) else {
                return null_mut();
            };
            // SAFETY: HEAP_BASE..+len was just mapped for this heap alone.
            unsafe { heap.init(HEAP_BASE as *mut u8, len) };
        }
        loop {
            if let Ok(block) = heap.allocate_first_fit(layout) {
                return block.as_ptr();
            }
            let top = heap.top() as usize;
            let Some(len) = map_more(top, layout.size() + layout.align()) else {
                return null_mut();
            };
            // SAFETY: the pages right above the heap's top were just mapped.
            unsafe { heap.extend(len) };
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(block) = NonNull::new(ptr) {
            // SAFETY: `ptr` came from `alloc` with this layout.
            unsafe { self.0.lock().deallocate(block, layout) };
        }
    }
}

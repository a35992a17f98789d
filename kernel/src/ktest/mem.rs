//! Memory tests: the frame allocator, the heap, and mapping/unmapping pages
//! in the live kernel tables.

use super::TestResult;
use crate::arch::fault::probe_read;
use crate::arch::mmu;
use crate::mm::{frames, heap};
use crate::{check, check_eq, ktest};
use alloc::boxed::Box;
use alloc::vec::Vec;
use bsp_api::phys_to_virt;
use klib::paging::Flags;
use klib::PAGE_SIZE;

fn frames_alloc_distinct_and_returned() -> TestResult {
    let before = frames::free_count();
    check!(before > 1000, "only {before} free frames");
    let mut got = Vec::new();
    for _ in 0..256 {
        let pa = frames::alloc().ok_or("allocation failed with frames free")?;
        check_eq!(pa % PAGE_SIZE, 0);
        check!(frames::is_allocated(pa));
        got.push(pa);
    }
    check_eq!(frames::free_count(), before - 256);
    let mut sorted = got.clone();
    sorted.sort_unstable();
    sorted.dedup();
    check_eq!(sorted.len(), 256);
    for pa in got {
        frames::free(pa).map_err(|e| alloc::format!("free {pa:#x}: {e:?}"))?;
    }
    check_eq!(frames::free_count(), before);
    Ok(())
}
ktest!(frames_alloc_distinct_and_returned);

fn frames_never_hand_out_the_kernel_image() -> TestResult {
    let image = crate::mm::layout::KernelImage::get();
    let mut pa = image.text.start;
    while pa < image.end {
        check!(frames::is_allocated(pa), "kernel frame {pa:#x} marked free");
        pa += PAGE_SIZE;
    }
    check_eq!(
        frames::free(image.text.start),
        Err(klib::frames::FrameError::Reserved)
    );
    Ok(())
}
ktest!(frames_never_hand_out_the_kernel_image);

fn frames_zeroed_allocation_is_zero() -> TestResult {
    let pa = frames::alloc().ok_or("no frame")?;
    // SAFETY: the frame is ours; dirty it so alloc_zeroed has work to do.
    unsafe { core::ptr::write_bytes(phys_to_virt(pa) as *mut u8, 0xa5, PAGE_SIZE) };
    frames::free(pa).map_err(|e| alloc::format!("{e:?}"))?;
    let pa = frames::alloc_zeroed().ok_or("no frame")?;
    // SAFETY: the frame is ours and mapped in the linear map.
    let page =
        unsafe { core::slice::from_raw_parts(phys_to_virt(pa) as *const u64, PAGE_SIZE / 8) };
    let nonzero = page.iter().filter(|&&w| w != 0).count();
    frames::free(pa).map_err(|e| alloc::format!("{e:?}"))?;
    check_eq!(nonzero, 0);
    Ok(())
}
ktest!(frames_zeroed_allocation_is_zero);

fn heap_alloc_and_free_balance() -> TestResult {
    let before = heap::used();
    {
        let v: Vec<u64> = (0..10_000).collect();
        check_eq!(v.iter().sum::<u64>(), 49_995_000);
        let b = Box::new([7u8; 64 * 1024]);
        check!(b.iter().all(|&x| x == 7));
        check!(heap::used() >= before + 80_000 + 64 * 1024);
    }
    check_eq!(heap::used(), before);
    Ok(())
}
ktest!(heap_alloc_and_free_balance);

/// A kernel virtual address far from the linear map, unused by anything.
const SCRATCH_VA: usize = 0xffff_8000_0000_0000;

fn paging_map_write_unmap() -> TestResult {
    let pa = frames::alloc_zeroed().ok_or("no frame")?;
    let result = (|| -> TestResult {
        check!(
            probe_read(SCRATCH_VA).is_err(),
            "scratch address mapped before the test"
        );
        mmu::map_kernel(SCRATCH_VA, pa, PAGE_SIZE, Flags::KERNEL_RW)
            .map_err(|e| alloc::format!("map: {e:?}"))?;
        check_eq!(
            mmu::translate_kernel(SCRATCH_VA + 8),
            Some((pa + 8, Flags::KERNEL_RW))
        );
        // SAFETY: SCRATCH_VA now maps our frame read-write.
        unsafe { core::ptr::write_volatile((SCRATCH_VA + 16) as *mut u64, 0x1234_5678_9abc_def0) };
        // The same bytes are visible through the linear map.
        let via_linear = probe_read(phys_to_virt(pa) + 16).map_err(|f| alloc::format!("{f:?}"))?;
        check_eq!(via_linear, 0x1234_5678_9abc_def0);
        let unmapped =
            mmu::unmap_kernel_page(SCRATCH_VA).map_err(|e| alloc::format!("unmap: {e:?}"))?;
        check_eq!(unmapped, Some(pa));
        let fault = probe_read(SCRATCH_VA + 16);
        check!(fault.is_err(), "address still readable after unmap");
        check_eq!(mmu::translate_kernel(SCRATCH_VA), None);
        Ok(())
    })();
    frames::free(pa).map_err(|e| alloc::format!("{e:?}"))?;
    result
}
ktest!(paging_map_write_unmap);

fn paging_kernel_image_is_w_xor_x() -> TestResult {
    let image = crate::mm::layout::KernelImage::get();
    let text = mmu::translate_kernel(phys_to_virt(image.text.start)).ok_or("text unmapped")?;
    check!(
        text.1.executable && !text.1.writable,
        "text flags {:?}",
        text.1
    );
    let ro = mmu::translate_kernel(phys_to_virt(image.rodata.start)).ok_or("rodata unmapped")?;
    check!(
        !ro.1.executable && !ro.1.writable,
        "rodata flags {:?}",
        ro.1
    );
    let data = mmu::translate_kernel(phys_to_virt(image.rodata.end)).ok_or("data unmapped")?;
    check!(
        !data.1.executable && data.1.writable,
        "data flags {:?}",
        data.1
    );
    // Every mapping of the image's pages obeys W^X.
    let mut pa = image.text.start;
    while pa < image.end {
        let (_, f) = mmu::translate_kernel(phys_to_virt(pa)).ok_or("hole in the image")?;
        check!(!f.is_wx(), "page {pa:#x} writable and executable");
        pa += PAGE_SIZE;
    }
    Ok(())
}
ktest!(paging_kernel_image_is_w_xor_x);

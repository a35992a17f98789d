//! The kernel image's sections, in physical addresses, from the symbols the
//! linker script (`kernel/kernel.ld`) defines.

use bsp_api::virt_to_phys;
use klib::frames::Range;

extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __kernel_end: u8;
}

/// Physical extents of the loaded kernel image.
#[derive(Clone, Copy, Debug)]
pub struct KernelImage {
    pub text: Range,
    pub rodata: Range,
    /// End of .data/.bss (page aligned): the whole image is `text.start..end`.
    pub end: usize,
}

impl KernelImage {
    pub fn get() -> Self {
        // Only the addresses of the linker-defined symbols are used.
        let (start, text_end, rodata_end, end) = (
            &raw const __kernel_start as usize,
            &raw const __text_end as usize,
            &raw const __rodata_end as usize,
            &raw const __kernel_end as usize,
        );
        Self {
            text: Range::new(virt_to_phys(start), virt_to_phys(text_end)),
            rodata: Range::new(virt_to_phys(text_end), virt_to_phys(rodata_end)),
            end: virt_to_phys(end),
        }
    }

    pub fn whole(&self) -> Range {
        Range::new(self.text.start, self.end)
    }
}

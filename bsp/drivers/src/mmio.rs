//! Volatile access to 32-bit memory-mapped registers at an offset from a base.

/// A block of 32-bit registers at a fixed virtual address.
#[derive(Clone, Copy, Debug)]
pub struct Mmio {
    base: usize,
}

impl Mmio {
    /// # Safety
    /// `base` must be the virtual address of a device register block that
    /// stays mapped (as device memory) for as long as this value is used.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base }
    }

    pub fn base(&self) -> usize {
        self.base
    }

    #[inline]
    pub fn read(&self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract: base + offset is a mapped device register.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    #[inline]
    pub fn write(&self, offset: usize, value: u32) {
        // SAFETY: `new`'s contract: base + offset is a mapped device register.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }

    #[inline]
    pub fn write64(&self, offset: usize, value: u64) {
        // SAFETY: `new`'s contract: base + offset is a mapped device register.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u64, value) }
    }
}

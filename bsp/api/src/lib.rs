//! The board support interface: the traits the kernel programs against.
//!
//! A board crate (`bsp/virt`, `bsp/rpi3`, `bsp/rpi4`) implements [`Board`]
//! and hands the kernel its console, interrupt controller, power control and
//! memory map. The kernel never names a board; everything board-specific
//! reaches it through these traits.
//!
//! This crate depends on nothing of ours, so both the kernel and the shared
//! drivers can use it.
#![no_std]

/// Where the kernel's linear map of physical memory starts in the upper half:
/// physical address `p` is visible at virtual address `LINEAR_BASE + p`.
/// Drivers use [`phys_to_virt`] to reach MMIO and DMA buffers.
pub const LINEAR_BASE: usize = 0xFFFF_0000_0000_0000;

/// The virtual address at which physical address `pa` is mapped.
#[inline]
pub const fn phys_to_virt(pa: usize) -> usize {
    pa + LINEAR_BASE
}

/// The physical address of a kernel virtual address in the linear map.
#[inline]
pub const fn virt_to_phys(va: usize) -> usize {
    va - LINEAR_BASE
}

/// A physical address range `[start, start + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    pub start: usize,
    pub size: usize,
}

impl PhysRange {
    pub const fn new(start: usize, size: usize) -> Self {
        Self { start, size }
    }
    pub const fn end(&self) -> usize {
        self.start + self.size
    }
}

/// An interrupt number in the board's own numbering (GIC INTID on GIC
/// boards; the board's documented scheme elsewhere).
pub type Irq = u32;

/// The serial console.
pub trait Console: Sync {
    /// Program the UART (baud rate, FIFOs); leaves interrupts masked.
    fn init(&self);
    /// Write raw bytes (no newline translation), blocking until the hardware
    /// has taken them.
    fn write_bytes(&self, bytes: &[u8]);
    /// Unmask the receive interrupt.
    fn enable_rx_interrupt(&self);
    /// Drain the receive FIFO, calling `sink` once per byte, and acknowledge
    /// the interrupt. Called from the IRQ handler.
    fn drain_rx(&self, sink: &mut dyn FnMut(u8));
    /// Connect transmit to receive inside the UART (for self-tests).
    fn set_loopback(&self, on: bool);
    /// The interrupt the console raises on receive.
    fn irq(&self) -> Irq;
}

/// The interrupt controller, as seen from the boot CPU.
pub trait InterruptController: Sync {
    /// Initialise the distributor and this CPU's interface.
    fn init(&self);
    /// Let `irq` reach this CPU.
    fn enable(&self, irq: Irq);
    /// Stop `irq` from reaching this CPU.
    fn disable(&self, irq: Irq);
    /// Acknowledge the highest-priority pending interrupt, if any.
    fn claim(&self) -> Option<Irq>;
    /// Signal the end of handling for an interrupt returned by `claim`.
    fn complete(&self, irq: Irq);
    /// Short name for the banner ("GICv3", ...).
    fn name(&self) -> &'static str;
}

/// Turning the machine off, resetting it, and reporting a status to the host.
pub trait Power: Sync {
    /// Power off. Under QEMU this ends the emulator.
    fn shutdown(&self) -> !;
    /// Reset the machine.
    fn reboot(&self) -> !;
}

/// How the kernel learns the RAM layout when there is no device tree.
pub trait MemoryProbe: Sync {
    /// RAM ranges known to the firmware (e.g. via the Pi mailbox).
    fn ram(&self, out: &mut [PhysRange]) -> usize;
}

/// A board: the set of devices the kernel runs on, and its memory map.
pub trait Board: Sync {
    /// Human-readable board name for the banner.
    fn name(&self) -> &'static str;
    /// Called once, first thing, before anything else is used.
    fn early_init(&self);
    fn console(&self) -> &dyn Console;
    fn interrupts(&self) -> &dyn InterruptController;
    fn power(&self) -> &dyn Power;
    /// The interrupt of the EL1 physical generic timer.
    fn timer_irq(&self) -> Irq;
    /// MMIO windows to map as device memory.
    fn mmio(&self) -> &'static [PhysRange];
    /// Physical addresses where a device tree blob may be found when the
    /// boot loader passed none in `x0` (checked for the FDT magic).
    fn dtb_candidates(&self) -> &'static [usize] {
        &[]
    }
    /// Physical ranges the kernel must never hand out (firmware, spin tables).
    fn reserved(&self) -> &'static [PhysRange] {
        &[]
    }
    /// Fallback RAM discovery when no device tree is found.
    fn memory_probe(&self) -> Option<&dyn MemoryProbe> {
        None
    }
    /// Find the board's disks (after the DMA allocator is registered),
    /// in order: the root disk first. Called once.
    fn probe_block_devices(&self, found: &mut dyn FnMut(&'static dyn BlockDevice)) {
        let _ = found;
    }
}

/// Why a block transfer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// The device reported an error (or did not answer in time).
    Io,
    /// The sectors asked for are past the end of the device, or the buffer
    /// is not a whole number of sectors.
    OutOfRange,
    /// The device is read-only.
    ReadOnly,
}

/// Size of a sector, the unit of block device addresses.
pub const SECTOR_SIZE: usize = 512;

/// A transfer started with [`BlockDevice::submit_read`] or
/// [`BlockDevice::submit_write`]; [`BlockDevice::finish`] waits for it.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a started transfer must be finished"]
pub struct Ticket {
    id: u64,
    done: Option<Result<(), BlockError>>,
}

impl Ticket {
    /// A transfer that has already ended with `result` (devices that
    /// cannot overlap transfers).
    pub const fn done(result: Result<(), BlockError>) -> Self {
        Ticket {
            id: 0,
            done: Some(result),
        }
    }

    /// A transfer in flight, known to its driver as `id`.
    pub const fn started(id: u64) -> Self {
        Ticket { id, done: None }
    }

    /// The driver's id of a transfer in flight; `None` if it has ended.
    pub const fn id(&self) -> Option<u64> {
        match self.done {
            Some(_) => None,
            None => Some(self.id),
        }
    }

    /// The result of a transfer that has already ended.
    pub const fn result(&self) -> Option<Result<(), BlockError>> {
        self.done
    }
}

/// A disk: the root file system's device, a second disk, an SD card.
/// [`read`](Self::read) and [`write`](Self::write) are synchronous: the
/// call returns when the data is there. Devices that can overlap transfers
/// with the caller's work also implement `submit_*`/`finish`; the default
/// implementations transfer synchronously.
pub trait BlockDevice: Sync {
    /// Short name for messages ("virtio-blk0", "sdhci").
    fn name(&self) -> &'static str;
    /// Capacity in sectors.
    fn sectors(&self) -> u64;
    /// Read whole sectors starting at `sector` into `buf`.
    fn read(&self, sector: u64, buf: &mut [u8]) -> Result<(), BlockError>;
    /// Write whole sectors starting at `sector` from `buf`.
    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), BlockError>;
    /// Make written data durable.
    fn flush(&self) -> Result<(), BlockError>;
    /// Start reading `len` bytes (whole sectors) at `sector` into `buf`.
    /// The default reads synchronously and returns an ended ticket.
    ///
    /// # Safety
    /// `buf..buf + len` must be valid for writes, physically contiguous
    /// (kernel linear map), and neither accessed nor freed until
    /// [`finish`](Self::finish) has returned for the ticket (forever if it
    /// never is).
    unsafe fn submit_read(&self, sector: u64, buf: *mut u8, len: usize) -> Ticket {
        // SAFETY: forwarded from this function's contract.
        let buf = unsafe { core::slice::from_raw_parts_mut(buf, len) };
        Ticket::done(self.read(sector, buf))
    }
    /// Start writing `len` bytes (whole sectors) from `buf` at `sector`.
    /// The default writes synchronously and returns an ended ticket.
    ///
    /// # Safety
    /// As for [`submit_read`](Self::submit_read), with `buf` valid for
    /// reads and not modified until the transfer is finished.
    unsafe fn submit_write(&self, sector: u64, buf: *const u8, len: usize) -> Ticket {
        // SAFETY: forwarded from this function's contract.
        let buf = unsafe { core::slice::from_raw_parts(buf, len) };
        Ticket::done(self.write(sector, buf))
    }
    /// Wait for a transfer from `submit_*` to end; its result.
    fn finish(&self, ticket: Ticket) -> Result<(), BlockError> {
        ticket.result().unwrap_or(Err(BlockError::Io))
    }
    /// The device's completion interrupt, if it uses one.
    fn irq(&self) -> Option<Irq> {
        None
    }
    /// Acknowledge the device's interrupt (called from the IRQ handler).
    fn handle_irq(&self) {}
}

/// Physically contiguous, zeroed memory for device queues, provided by the
/// kernel's frame allocator (registered once at boot with [`set_dma`]).
pub trait DmaAllocator: Sync {
    /// `pages` contiguous zeroed 4 KiB pages; their physical address.
    fn alloc_pages(&self, pages: usize) -> Option<usize>;
    /// Give back pages from `alloc_pages`.
    fn free_pages(&self, pa: usize, pages: usize);
}

static DMA: core::sync::atomic::AtomicPtr<&'static dyn DmaAllocator> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// Register the kernel's DMA allocator (once, at boot).
pub fn set_dma(allocator: &'static &'static dyn DmaAllocator) {
    DMA.store(
        allocator as *const &'static dyn DmaAllocator as *mut _,
        core::sync::atomic::Ordering::Release,
    );
}

/// The registered DMA allocator, if the kernel has registered one.
pub fn dma() -> Option<&'static dyn DmaAllocator> {
    let p = DMA.load(core::sync::atomic::Ordering::Acquire);
    // SAFETY: only `set_dma` stores here, from a `&'static` reference.
    (!p.is_null()).then(|| unsafe { *p })
}

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
}

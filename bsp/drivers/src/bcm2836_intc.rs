//! The Raspberry Pi 3's two-level interrupt controller: the BCM2836 per-core
//! "local" controller (timers, mailboxes, and a line from the GPU) in front of
//! the BCM2835 ARM interrupt controller (the GPU peripherals).
//!
//! Numbering used by [`Bcm2836Intc`]: 0..=31 are bits of the core's local
//! IRQ source register (1 = CNTPNSIRQ, the EL1 physical timer); 64 + n is GPU
//! peripheral interrupt n (e.g. 64 + 57 = the PL011).

use crate::mmio::Mmio;
use bsp_api::{InterruptController, Irq};

/// First number of the GPU interrupts in our numbering.
pub const GPU_IRQ_BASE: Irq = 64;
/// The EL1 non-secure physical timer on core 0.
pub const LOCAL_IRQ_CNTPNS: Irq = 1;

const CORE0_TIMER_IRQ_CTRL: usize = 0x40;
const CORE0_IRQ_SOURCE: usize = 0x60;
const SOURCE_GPU: u32 = 1 << 8;

const PENDING_1: usize = 0x04;
const PENDING_2: usize = 0x08;
const ENABLE_1: usize = 0x10;
const DISABLE_1: usize = 0x1c;
const DISABLE_BASIC: usize = 0x24;

pub struct Bcm2836Intc {
    local: Mmio,
    gpu: Mmio,
}

impl Bcm2836Intc {
    /// # Safety
    /// `local` must be the virtual address of the BCM2836 local controller
    /// (physical 0x4000_0000) and `gpu` that of the BCM2835 controller's
    /// register block (the `IRQ basic pending` register at offset 0).
    pub const unsafe fn new(local: usize, gpu: usize) -> Self {
        // SAFETY: forwarded from this function's contract.
        unsafe {
            Self {
                local: Mmio::new(local),
                gpu: Mmio::new(gpu),
            }
        }
    }
}

impl InterruptController for Bcm2836Intc {
    fn init(&self) {
        self.gpu.write(DISABLE_1, u32::MAX);
        self.gpu.write(DISABLE_1 + 4, u32::MAX);
        self.gpu.write(DISABLE_BASIC, u32::MAX);
        self.local.write(CORE0_TIMER_IRQ_CTRL, 0);
    }

    fn enable(&self, irq: Irq) {
        if irq >= GPU_IRQ_BASE {
            let n = (irq - GPU_IRQ_BASE) as usize;
            self.gpu.write(ENABLE_1 + (n / 32) * 4, 1 << (n % 32));
        } else if irq < 4 {
            let ctrl = self.local.read(CORE0_TIMER_IRQ_CTRL);
            self.local.write(CORE0_TIMER_IRQ_CTRL, ctrl | (1 << irq));
        }
    }

    fn disable(&self, irq: Irq) {
        if irq >= GPU_IRQ_BASE {
            let n = (irq - GPU_IRQ_BASE) as usize;
            self.gpu.write(DISABLE_1 + (n / 32) * 4, 1 << (n % 32));
        } else if irq < 4 {
            let ctrl = self.local.read(CORE0_TIMER_IRQ_CTRL);
            self.local.write(CORE0_TIMER_IRQ_CTRL, ctrl & !(1 << irq));
        }
    }

    fn claim(&self) -> Option<Irq> {
        let source = self.local.read(CORE0_IRQ_SOURCE);
        let local = source & !SOURCE_GPU & 0xfff;
        if local != 0 {
            return Some(local.trailing_zeros());
        }
        if source & SOURCE_GPU != 0 {
            for (i, reg) in [PENDING_1, PENDING_2].into_iter().enumerate() {
                let pending = self.gpu.read(reg);
                if pending != 0 {
                    return Some(GPU_IRQ_BASE + i as u32 * 32 + pending.trailing_zeros());
                }
            }
        }
        None
    }

    fn complete(&self, _irq: Irq) {
        // Level-triggered: the device clears its line when serviced.
    }

    fn name(&self) -> &'static str {
        "BCM2836+BCM2835"
    }
}

//! ARM GICv2 (the GIC-400 on the Raspberry Pi 4): distributor and CPU
//! interface, both memory-mapped. Interrupt numbers are GIC INTIDs.

use crate::mmio::Mmio;
use bsp_api::{InterruptController, Irq};

const GICD_CTLR: usize = 0x000;
const GICD_TYPER: usize = 0x004;
const GICD_IGROUPR: usize = 0x080;
const GICD_ISENABLER: usize = 0x100;
const GICD_ICENABLER: usize = 0x180;
const GICD_ICPENDR: usize = 0x280;
const GICD_IPRIORITYR: usize = 0x400;
const GICD_ITARGETSR: usize = 0x800;
const GICD_ICFGR: usize = 0xc00;

const GICC_CTLR: usize = 0x00;
const GICC_PMR: usize = 0x04;
const GICC_BPR: usize = 0x08;
const GICC_IAR: usize = 0x0c;
const GICC_EOIR: usize = 0x10;

/// INTIDs at or above this are special (1023 = spurious).
const SPECIAL_INTID: u32 = 1020;
const DEFAULT_PRIORITY: u32 = 0xa0;

pub struct GicV2 {
    dist: Mmio,
    cpu: Mmio,
}

impl GicV2 {
    /// # Safety
    /// `dist` and `cpu` must be the virtual addresses of the GICD and GICC
    /// register frames, mapped as device memory for the driver's lifetime.
    pub const unsafe fn new(dist: usize, cpu: usize) -> Self {
        // SAFETY: forwarded from this function's contract.
        unsafe {
            Self {
                dist: Mmio::new(dist),
                cpu: Mmio::new(cpu),
            }
        }
    }

    fn lines(&self) -> u32 {
        ((self.dist.read(GICD_TYPER) & 0x1f) + 1) * 32
    }
}

impl InterruptController for GicV2 {
    fn init(&self) {
        let d = &self.dist;
        d.write(GICD_CTLR, 0);
        let lines = self.lines();
        for reg in 0..lines / 32 {
            let off = reg as usize * 4;
            d.write(GICD_ICENABLER + off, u32::MAX);
            d.write(GICD_ICPENDR + off, u32::MAX);
            // Group 1 (non-secure) where the GIC lets us choose; RAZ/WI otherwise.
            d.write(GICD_IGROUPR + off, u32::MAX);
        }
        let prio = DEFAULT_PRIORITY * 0x0101_0101;
        for reg in 0..lines / 4 {
            d.write(GICD_IPRIORITYR + reg as usize * 4, prio);
        }
        // SPIs: level-triggered, delivered to CPU 0.
        for reg in 8..lines / 4 {
            d.write(GICD_ITARGETSR + reg as usize * 4, 0x0101_0101);
        }
        for reg in 2..lines / 16 {
            d.write(GICD_ICFGR + reg as usize * 4, 0);
        }
        d.write(GICD_CTLR, 0b11);
        let c = &self.cpu;
        c.write(GICC_PMR, 0xff);
        c.write(GICC_BPR, 0);
        // Secure view (QEMU's raspi4b runs us as Secure): EnableGrp0 |
        // EnableGrp1 | AckCtl, so IAR also acknowledges our group-1
        // interrupts. Non-secure view (a real Pi 4 after its armstub): bit 0
        // is EnableGrp1 and the others are reserved. One value fits both.
        c.write(GICC_CTLR, 0b111);
    }

    fn enable(&self, irq: Irq) {
        let (reg, bit) = (irq as usize / 32, irq % 32);
        self.dist.write(GICD_ISENABLER + reg * 4, 1 << bit);
    }

    fn disable(&self, irq: Irq) {
        let (reg, bit) = (irq as usize / 32, irq % 32);
        self.dist.write(GICD_ICENABLER + reg * 4, 1 << bit);
    }

    fn claim(&self) -> Option<Irq> {
        let iar = self.cpu.read(GICC_IAR);
        let intid = iar & 0x3ff;
        (intid < SPECIAL_INTID).then_some(intid)
    }

    fn complete(&self, irq: Irq) {
        self.cpu.write(GICC_EOIR, irq);
    }

    fn name(&self) -> &'static str {
        "GICv2"
    }
}

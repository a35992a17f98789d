//! ARM GICv3 (QEMU virt): memory-mapped distributor and redistributor, and
//! the CPU interface through the ICC_* system registers. Interrupt numbers
//! are GIC INTIDs; only the boot CPU's redistributor is set up so far.

use crate::mmio::Mmio;
use bsp_api::{InterruptController, Irq};
use core::arch::asm;

const GICD_CTLR: usize = 0x0000;
const GICD_TYPER: usize = 0x0004;
const GICD_IGROUPR: usize = 0x0080;
const GICD_ISENABLER: usize = 0x0100;
const GICD_ICENABLER: usize = 0x0180;
const GICD_ICPENDR: usize = 0x0280;
const GICD_IPRIORITYR: usize = 0x0400;
const GICD_ICFGR: usize = 0x0c00;
const GICD_IROUTER: usize = 0x6000;
const CTLR_RWP: u32 = 1 << 31;
const CTLR_ARE: u32 = 1 << 4;
const CTLR_ENABLE_G1: u32 = 1 << 1;
const CTLR_ENABLE_G0: u32 = 1 << 0;

const GICR_WAKER: usize = 0x0014;
const WAKER_PROCESSOR_SLEEP: u32 = 1 << 1;
const WAKER_CHILDREN_ASLEEP: u32 = 1 << 2;
/// The SGI/PPI frame follows the redistributor's control frame.
const GICR_SGI_FRAME: usize = 0x1_0000;

const SPECIAL_INTID: u32 = 1020;
const DEFAULT_PRIORITY: u32 = 0xa0;

pub struct GicV3 {
    dist: Mmio,
    redist: Mmio,
    sgi: Mmio,
}

impl GicV3 {
    /// # Safety
    /// `dist` and `redist` must be the virtual addresses of the GICD frame
    /// and the boot CPU's redistributor, mapped as device memory.
    pub const unsafe fn new(dist: usize, redist: usize) -> Self {
        // SAFETY: forwarded from this function's contract.
        unsafe {
            Self {
                dist: Mmio::new(dist),
                redist: Mmio::new(redist),
                sgi: Mmio::new(redist + GICR_SGI_FRAME),
            }
        }
    }

    fn wait_for_distributor(&self) {
        while self.dist.read(GICD_CTLR) & CTLR_RWP != 0 {
            core::hint::spin_loop();
        }
    }

    fn lines(&self) -> u32 {
        ((self.dist.read(GICD_TYPER) & 0x1f) + 1) * 32
    }
}

impl InterruptController for GicV3 {
    fn init(&self) {
        let d = &self.dist;
        d.write(GICD_CTLR, 0);
        self.wait_for_distributor();
        let lines = self.lines();
        for reg in 1..lines / 32 {
            let off = reg as usize * 4;
            d.write(GICD_ICENABLER + off, u32::MAX);
            d.write(GICD_ICPENDR + off, u32::MAX);
            d.write(GICD_IGROUPR + off, u32::MAX);
        }
        for reg in 8..lines / 4 {
            d.write(
                GICD_IPRIORITYR + reg as usize * 4,
                DEFAULT_PRIORITY * 0x0101_0101,
            );
        }
        for reg in 2..lines / 16 {
            d.write(GICD_ICFGR + reg as usize * 4, 0);
        }
        for intid in 32..lines as usize {
            d.write64(GICD_IROUTER + intid * 8, 0);
        }
        d.write(GICD_CTLR, CTLR_ARE);
        self.wait_for_distributor();
        d.write(GICD_CTLR, CTLR_ARE | CTLR_ENABLE_G1 | CTLR_ENABLE_G0);
        self.wait_for_distributor();

        // Wake this CPU's redistributor.
        let waker = self.redist.read(GICR_WAKER);
        self.redist
            .write(GICR_WAKER, waker & !WAKER_PROCESSOR_SLEEP);
        while self.redist.read(GICR_WAKER) & WAKER_CHILDREN_ASLEEP != 0 {
            core::hint::spin_loop();
        }
        let s = &self.sgi;
        s.write(GICD_ICENABLER, u32::MAX);
        s.write(GICD_IGROUPR, u32::MAX);
        for reg in 0..8 {
            s.write(GICD_IPRIORITYR + reg * 4, DEFAULT_PRIORITY * 0x0101_0101);
        }

        // SAFETY: ICC system registers of the GICv3 CPU interface; the boot
        // code enabled system-register access (ICC_SRE_EL2) where it ran at EL2.
        unsafe {
            let mut sre: u64;
            asm!("mrs {0}, S3_0_C12_C12_5", out(reg) sre);
            sre |= 1;
            asm!("msr S3_0_C12_C12_5, {0}", "isb", in(reg) sre);
            asm!("msr S3_0_C4_C6_0, {0}", in(reg) 0xffu64); // ICC_PMR_EL1
            asm!("msr S3_0_C12_C12_3, {0}", in(reg) 0u64); // ICC_BPR1_EL1
            asm!("msr S3_0_C12_C12_7, {0}", "isb", in(reg) 1u64); // ICC_IGRPEN1_EL1
        }
    }

    fn enable(&self, irq: Irq) {
        let (reg, bit) = (irq as usize / 32, irq % 32);
        if irq < 32 {
            self.sgi.write(GICD_ISENABLER, 1 << bit);
        } else {
            self.dist.write(GICD_ISENABLER + reg * 4, 1 << bit);
        }
    }

    fn disable(&self, irq: Irq) {
        let (reg, bit) = (irq as usize / 32, irq % 32);
        if irq < 32 {
            self.sgi.write(GICD_ICENABLER, 1 << bit);
        } else {
            self.dist.write(GICD_ICENABLER + reg * 4, 1 << bit);
        }
    }

    fn claim(&self) -> Option<Irq> {
        let iar: u64;
        // SAFETY: reading ICC_IAR1_EL1 acknowledges the pending group-1 interrupt.
        unsafe { asm!("mrs {0}, S3_0_C12_C12_0", out(reg) iar) };
        let intid = (iar & 0xff_ffff) as u32;
        (intid < SPECIAL_INTID).then_some(intid)
    }

    fn complete(&self, irq: Irq) {
        // SAFETY: writing ICC_EOIR1_EL1 ends handling of an acknowledged interrupt.
        unsafe { asm!("msr S3_0_C12_C12_1, {0}", in(reg) irq as u64) };
    }

    fn name(&self) -> &'static str {
        "GICv3"
    }
}

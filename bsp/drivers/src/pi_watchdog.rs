//! The Raspberry Pi power-management watchdog (PM_RSTC/PM_WDOG): the only
//! way to reset or "power off" a Pi. Power-off is a reset into partition 63,
//! which the firmware treats as halt; QEMU with `-no-reboot` exits.

use crate::mmio::Mmio;
use bsp_api::Power;

const PM_RSTC: usize = 0x1c;
const PM_RSTS: usize = 0x20;
const PM_WDOG: usize = 0x24;
const PASSWORD: u32 = 0x5a00_0000;
const RSTC_WRCFG_CLR: u32 = 0xffff_ffcf;
const RSTC_WRCFG_FULL_RESET: u32 = 0x20;
/// Partition-number bits in PM_RSTS (every other bit of the low 12).
const RSTS_PARTITION_CLR: u32 = 0xffff_faaa;
const PARTITION_HALT: u32 = 0x555;

pub struct PiWatchdog {
    regs: Mmio,
}

impl PiWatchdog {
    /// # Safety
    /// `base` must be the virtual address of the PM block (peripheral base +
    /// 0x10_0000), mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { Mmio::new(base) },
        }
    }

    fn reset_now(&self) -> ! {
        self.regs.write(PM_WDOG, PASSWORD | 10);
        let rstc = self.regs.read(PM_RSTC) & RSTC_WRCFG_CLR;
        self.regs
            .write(PM_RSTC, PASSWORD | rstc | RSTC_WRCFG_FULL_RESET);
        loop {
            aarch64_cpu::asm::wfe();
        }
    }
}

impl Power for PiWatchdog {
    fn shutdown(&self) -> ! {
        let rsts = self.regs.read(PM_RSTS) & RSTS_PARTITION_CLR;
        self.regs.write(PM_RSTS, PASSWORD | rsts | PARTITION_HALT);
        self.reset_now()
    }

    fn reboot(&self) -> ! {
        self.reset_now()
    }
}

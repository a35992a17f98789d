//! CPU identification and control: interrupt masking, waiting, and the facts
//! the boot banner reports.

use aarch64_cpu::registers::{DAIF, MIDR_EL1};
use core::sync::atomic::{AtomicU32, Ordering};
use tock_registers::interfaces::{Readable, Writeable};

static BOOT_EL: AtomicU32 = AtomicU32::new(0);

/// Record the exception level the boot code was entered at.
pub fn set_boot_el(el: u32) {
    BOOT_EL.store(el, Ordering::Relaxed);
}

/// The exception level the kernel was entered at (before any EL2 -> EL1 drop).
pub fn boot_el() -> u32 {
    BOOT_EL.load(Ordering::Relaxed)
}

/// The core's name from MIDR_EL1.
pub fn model() -> &'static str {
    let midr = MIDR_EL1.get();
    let implementer = (midr >> 24) & 0xff;
    let part = (midr >> 4) & 0xfff;
    match (implementer, part) {
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd04) => "Cortex-A35",
        (0x41, 0xd05) => "Cortex-A55",
        (0x41, 0xd07) => "Cortex-A57",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, 0xd0b) => "Cortex-A76",
        (0x00, 0x051) => "QEMU max",
        _ => "unknown AArch64 core",
    }
}

/// Turn on Privileged Access Never where the CPU has it (ARMv8.1): kernel
/// loads and stores to user pages then fault, so user memory is reachable
/// only through the unprivileged `ldtr`/`sttr` copies in `mm::usercopy`.
/// SCTLR_EL1.SPAN is cleared so PAN is set again on every exception entry.
/// Returns whether PAN is on. (QEMU's cortex-a53/a72 models lack it.)
pub fn enable_pan() -> bool {
    use aarch64_cpu::registers::ID_AA64MMFR1_EL1;
    const SCTLR_SPAN: u64 = 1 << 23;
    if ID_AA64MMFR1_EL1.read(ID_AA64MMFR1_EL1::PAN) == 0 {
        return false;
    }
    // SAFETY: clearing SCTLR_EL1.SPAN and `msr pan, #1` (encoded for
    // assemblers without ARMv8.1) only restrict the kernel's own access to
    // user pages.
    unsafe {
        core::arch::asm!(
            "mrs {t}, sctlr_el1",
            "bic {t}, {t}, {span}",
            "msr sctlr_el1, {t}",
            ".inst 0xd500419f",
            "isb",
            t = out(reg) _,
            span = in(reg) SCTLR_SPAN,
            options(nomem, nostack)
        )
    };
    true
}

/// Unmask IRQs.
pub fn enable_irqs() {
    DAIF.write(DAIF::D::Masked + DAIF::A::Unmasked + DAIF::I::Unmasked + DAIF::F::Masked);
}

/// Whether IRQs are currently masked.
pub fn irqs_masked() -> bool {
    DAIF.is_set(DAIF::I)
}

/// Masks IRQs for its lifetime, restoring the previous state on drop.
pub struct IrqGuard {
    was_masked: bool,
}

impl IrqGuard {
    pub fn new() -> Self {
        let was_masked = irqs_masked();
        // SAFETY: masking IRQs (DAIFSet bit 1) has no memory effects.
        unsafe { core::arch::asm!("msr daifset, #2", options(nomem, nostack)) };
        Self { was_masked }
    }
}

impl Default for IrqGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for IrqGuard {
    fn drop(&mut self) {
        if !self.was_masked {
            // SAFETY: unmasking IRQs restores the state found in `new`.
            unsafe { core::arch::asm!("msr daifclr, #2", options(nomem, nostack)) };
        }
    }
}

/// Sleep until an interrupt (or event) arrives.
pub fn wait_for_interrupt() {
    aarch64_cpu::asm::wfi();
}

/// Stop this core for good (interrupts masked).
pub fn halt() -> ! {
    let _guard = IrqGuard::new();
    loop {
        aarch64_cpu::asm::wfe();
    }
}

//! PSCI firmware calls over `hvc` (QEMU virt): system off and reset.

use bsp_api::Power;
use core::arch::asm;

const SYSTEM_OFF: u64 = 0x8400_0008;
const SYSTEM_RESET: u64 = 0x8400_0009;

pub struct Psci;

fn call(function: u64) {
    // SAFETY: a PSCI call through the hypervisor conduit; SYSTEM_OFF and
    // SYSTEM_RESET do not return on success.
    unsafe { asm!("hvc #0", inout("x0") function => _, options(nomem, nostack)) };
}

fn halt() -> ! {
    loop {
        aarch64_cpu::asm::wfe();
    }
}

impl Power for Psci {
    fn shutdown(&self) -> ! {
        call(SYSTEM_OFF);
        halt()
    }

    fn reboot(&self) -> ! {
        call(SYSTEM_RESET);
        halt()
    }
}

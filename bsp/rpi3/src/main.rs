//! Raspberry Pi 3 B (and QEMU `raspi3b`): BCM2837, Cortex-A53. PL011
//! console, BCM2836 local + BCM2835 interrupt controllers, the watchdog for
//! power control, the mailbox for the memory size when no DTB is passed.
#![no_std]
#![no_main]

use bsp_api::{
    phys_to_virt, Board, Console, InterruptController, Irq, MemoryProbe, PhysRange, Power,
};
use bsp_drivers::bcm2836_intc::{Bcm2836Intc, GPU_IRQ_BASE, LOCAL_IRQ_CNTPNS};
use bsp_drivers::{mailbox::Mailbox, pi_watchdog::PiWatchdog, pl011::Pl011};

const PERIPHERALS: usize = 0x3f00_0000;
const UART0: usize = PERIPHERALS + 0x20_1000;
/// GPU interrupt 57 is the PL011.
const UART0_IRQ: Irq = GPU_IRQ_BASE + 57;
/// The firmware's default UART reference clock (`init_uart_clock`).
const UART_CLOCK_HZ: u32 = 48_000_000;
const ARM_LOCAL: usize = 0x4000_0000;
const GPU_INTC: usize = PERIPHERALS + 0xb200;
const MAILBOX: usize = PERIPHERALS + 0xb880;
const PM: usize = PERIPHERALS + 0x10_0000;

static MMIO: [PhysRange; 2] = [
    PhysRange::new(PERIPHERALS, 0x0100_0000),
    PhysRange::new(ARM_LOCAL, 0x1000),
];
/// The first page holds the firmware's spin tables for cores 1-3.
static RESERVED: [PhysRange; 1] = [PhysRange::new(0, 0x1000)];

struct Rpi3 {
    uart: Pl011,
    intc: Bcm2836Intc,
    watchdog: PiWatchdog,
    mailbox: Mailbox,
}

// SAFETY: fixed BCM2837 peripheral addresses, mapped as device memory by
// `MMIO` (and by the boot map before that) for the kernel's lifetime.
static BOARD: Rpi3 = unsafe {
    Rpi3 {
        uart: Pl011::new(phys_to_virt(UART0), UART_CLOCK_HZ, UART0_IRQ),
        intc: Bcm2836Intc::new(phys_to_virt(ARM_LOCAL), phys_to_virt(GPU_INTC)),
        watchdog: PiWatchdog::new(phys_to_virt(PM)),
        mailbox: Mailbox::new(phys_to_virt(MAILBOX)),
    }
};

impl Board for Rpi3 {
    fn name(&self) -> &'static str {
        "Raspberry Pi 3"
    }
    fn early_init(&self) {}
    fn console(&self) -> &dyn Console {
        &self.uart
    }
    fn interrupts(&self) -> &dyn InterruptController {
        &self.intc
    }
    fn power(&self) -> &dyn Power {
        &self.watchdog
    }
    fn timer_irq(&self) -> Irq {
        LOCAL_IRQ_CNTPNS
    }
    fn mmio(&self) -> &'static [PhysRange] {
        &MMIO
    }
    fn reserved(&self) -> &'static [PhysRange] {
        &RESERVED
    }
    fn memory_probe(&self) -> Option<&dyn MemoryProbe> {
        Some(&self.mailbox)
    }
}

kernel::board!(BOARD);

//! Raspberry Pi 3 B (and QEMU `raspi3b`): BCM2837, Cortex-A53. PL011
//! console, BCM2836 local + BCM2835 interrupt controllers, the watchdog for
//! power control, the mailbox for the memory size when no DTB is passed.
#![no_std]
#![no_main]

use bsp_api::{
    phys_to_virt, BlockDevice, Board, Console, InterruptController, Irq, MemoryProbe, PhysRange,
    Power,
};
use bsp_drivers::bcm2836_intc::{Bcm2836Intc, GPU_IRQ_BASE, LOCAL_IRQ_CNTPNS};
use bsp_drivers::mailbox::{self, Mailbox};
use bsp_drivers::pi_gpio::{self, PiGpio, Soc};
use bsp_drivers::sdhci::Sdhci;
use bsp_drivers::{pi_watchdog::PiWatchdog, pl011::Pl011};

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
const GPIO: usize = PERIPHERALS + 0x20_0000;
/// The Arasan SDHCI ("EMMC") controller.
const EMMC: usize = PERIPHERALS + 0x30_0000;
/// Used when the firmware does not tell us the EMMC clock.
const EMMC_DEFAULT_CLOCK_HZ: u32 = 250_000_000;

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
    sd: Sdhci,
}

// SAFETY: fixed BCM2837 peripheral addresses, mapped as device memory by
// `MMIO` (and by the boot map before that) for the kernel's lifetime.
static BOARD: Rpi3 = unsafe {
    Rpi3 {
        uart: Pl011::new(phys_to_virt(UART0), UART_CLOCK_HZ, UART0_IRQ),
        intc: Bcm2836Intc::new(phys_to_virt(ARM_LOCAL), phys_to_virt(GPU_INTC)),
        watchdog: PiWatchdog::new(phys_to_virt(PM)),
        mailbox: Mailbox::new(phys_to_virt(MAILBOX)),
        sd: Sdhci::new(
            "sdhci",
            phys_to_virt(EMMC),
            EMMC_DEFAULT_CLOCK_HZ,
            kernel::arch::timer::now_ns,
        ),
    }
};

// SAFETY: the GPIO block's fixed address, mapped as device memory by
// `MMIO` (and the boot map).
static GPIO_PINS: PiGpio = unsafe { PiGpio::new(phys_to_virt(GPIO), Soc::Bcm2837) };

/// Route the SD card pins (GPIO 48-53) to the Arasan controller (ALT3);
/// the firmware leaves them on the SDHost controller.
fn route_sd_pins_to_arasan() {
    for pin in 48..54 {
        GPIO_PINS.set_function(pin, pi_gpio::ALT3);
    }
}

impl Board for Rpi3 {
    fn name(&self) -> &'static str {
        "Raspberry Pi 3"
    }
    fn early_init(&self) {
        // The console on header pins 8/10 on a real board (QEMU ignores it).
        GPIO_PINS.route_uart0_to_header();
    }
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
    fn probe_block_devices(&self, found: &mut dyn FnMut(&'static dyn BlockDevice)) {
        route_sd_pins_to_arasan();
        if let Ok(hz) = self.mailbox.clock_rate(mailbox::CLOCK_EMMC) {
            BOARD.sd.set_base_clock(hz);
        }
        if BOARD.sd.init().is_ok() {
            found(&BOARD.sd);
        }
    }
}

kernel::board!(BOARD);

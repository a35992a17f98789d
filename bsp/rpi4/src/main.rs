//! Raspberry Pi 4 B (and QEMU `raspi4b`): BCM2711, Cortex-A72. PL011
//! console, GIC-400 (GICv2), the watchdog for power control, the mailbox
//! for the memory size when no DTB is passed.
#![no_std]
#![no_main]

use bsp_api::{
    phys_to_virt, BlockDevice, Board, Console, InterruptController, Irq, MemoryProbe, PhysRange,
    Power,
};
use bsp_drivers::mailbox::{self, Mailbox};
use bsp_drivers::pi_gpio::{PiGpio, Soc};
use bsp_drivers::sdhci::Sdhci;
use bsp_drivers::{gicv2::GicV2, pi_watchdog::PiWatchdog, pl011::Pl011};

const PERIPHERALS: usize = 0xfe00_0000;
const UART0: usize = PERIPHERALS + 0x20_1000;
/// VideoCore interrupts start at GIC SPI 64 (INTID 96); the PL011 is VC 57.
const UART0_IRQ: Irq = 96 + 57;
/// The firmware's default UART reference clock on the Pi 4.
const UART_CLOCK_HZ: u32 = 48_000_000;
const GICD: usize = 0xff84_1000;
const GICC: usize = 0xff84_2000;
/// EL1 physical timer PPI.
const TIMER_IRQ: Irq = 30;
const MAILBOX: usize = PERIPHERALS + 0xb880;
const PM: usize = PERIPHERALS + 0x10_0000;
const GPIO: usize = PERIPHERALS + 0x20_0000;

// SAFETY: the GPIO block's fixed address, mapped as device memory by
// `MMIO` (and the boot map).
static GPIO_PINS: PiGpio = unsafe { PiGpio::new(phys_to_virt(GPIO), Soc::Bcm2711) };
/// EMMC2 drives the SD slot on a real Pi 4; QEMU's raspi4b attaches the
/// card to the Arasan SDHCI ("EMMC") instead. Both are probed.
const EMMC2: usize = PERIPHERALS + 0x34_0000;
const EMMC: usize = PERIPHERALS + 0x30_0000;
const EMMC_DEFAULT_CLOCK_HZ: u32 = 100_000_000;

static MMIO: [PhysRange; 2] = [
    PhysRange::new(PERIPHERALS, 0x0180_0000),
    PhysRange::new(0xff80_0000, 0x0080_0000), // ARM local + GIC-400
];
/// The first page holds the firmware's spin tables for cores 1-3.
static RESERVED: [PhysRange; 1] = [PhysRange::new(0, 0x1000)];

struct Rpi4 {
    uart: Pl011,
    gic: GicV2,
    watchdog: PiWatchdog,
    mailbox: Mailbox,
    emmc2: Sdhci,
    emmc: Sdhci,
}

// SAFETY: fixed BCM2711 peripheral addresses, mapped as device memory by
// `MMIO` (and by the boot map before that) for the kernel's lifetime.
static BOARD: Rpi4 = unsafe {
    Rpi4 {
        uart: Pl011::new(phys_to_virt(UART0), UART_CLOCK_HZ, UART0_IRQ),
        gic: GicV2::new(phys_to_virt(GICD), phys_to_virt(GICC)),
        watchdog: PiWatchdog::new(phys_to_virt(PM)),
        mailbox: Mailbox::new(phys_to_virt(MAILBOX)),
        emmc2: Sdhci::new(
            "emmc2",
            phys_to_virt(EMMC2),
            EMMC_DEFAULT_CLOCK_HZ,
            kernel::arch::timer::now_ns,
        ),
        emmc: Sdhci::new(
            "sdhci",
            phys_to_virt(EMMC),
            EMMC_DEFAULT_CLOCK_HZ,
            kernel::arch::timer::now_ns,
        ),
    }
};

impl Board for Rpi4 {
    fn name(&self) -> &'static str {
        "Raspberry Pi 4"
    }
    fn early_init(&self) {
        // The console on header pins 8/10 on a real board (QEMU ignores it).
        GPIO_PINS.route_uart0_to_header();
    }
    fn console(&self) -> &dyn Console {
        &self.uart
    }
    fn interrupts(&self) -> &dyn InterruptController {
        &self.gic
    }
    fn power(&self) -> &dyn Power {
        &self.watchdog
    }
    fn timer_irq(&self) -> Irq {
        TIMER_IRQ
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
        for (sd, clock) in [
            (&BOARD.emmc2, mailbox::CLOCK_EMMC2),
            (&BOARD.emmc, mailbox::CLOCK_EMMC),
        ] {
            if let Ok(hz) = self.mailbox.clock_rate(clock) {
                sd.set_base_clock(hz);
            }
            if sd.init().is_ok() {
                found(sd);
                return;
            }
        }
    }
}

kernel::board!(BOARD);

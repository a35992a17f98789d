//! QEMU `virt` (Cortex-A72, GICv3): PL011 console, GICv3, PSCI power
//! control over `hvc`, device tree at the start of RAM.
#![no_std]
#![no_main]

use bsp_api::{
    phys_to_virt, BlockDevice, Board, Console, InterruptController, Irq, PhysRange, Power,
};
use bsp_drivers::virtio_blk::VirtioBlk;
use bsp_drivers::{gicv3::GicV3, pl011::Pl011, psci::Psci};
use spin::Once;

const UART0: usize = 0x0900_0000;
const UART0_IRQ: Irq = 32 + 1;
const UART_CLOCK_HZ: u32 = 24_000_000;
const GICD: usize = 0x0800_0000;
const GICR: usize = 0x080a_0000;
/// EL1 physical timer PPI.
const TIMER_IRQ: Irq = 30;
const RAM_BASE: usize = 0x4000_0000;
const VIRTIO_MMIO: usize = 0x0a00_0000;
const VIRTIO_SLOTS: usize = 32;
const VIRTIO_SLOT_SIZE: usize = 0x200;
/// virtio-mmio slot n interrupts on SPI 16 + n.
const VIRTIO_IRQ_BASE: Irq = 32 + 16;
/// Disks we take (root first, then the second disk for /mnt, ...).
const MAX_DISKS: usize = 4;
const DISK_NAMES: [&str; MAX_DISKS] = ["virtio-blk0", "virtio-blk1", "virtio-blk2", "virtio-blk3"];

static DISKS: [Once<VirtioBlk>; MAX_DISKS] = [const { Once::new() }; MAX_DISKS];

static MMIO: [PhysRange; 3] = [
    PhysRange::new(0x0800_0000, 0x0100_0000), // GIC distributor + redistributors
    PhysRange::new(UART0, 0x1000),
    PhysRange::new(0x0a00_0000, 0x4000), // virtio-mmio slots
];

struct Virt {
    uart: Pl011,
    gic: GicV3,
    power: Psci,
}

// SAFETY: the addresses are QEMU virt's fixed PL011 and GICv3 frames, which
// `MMIO` maps as device memory in the linear map for the kernel's lifetime
// (and the boot map covers them before that).
static BOARD: Virt = unsafe {
    Virt {
        uart: Pl011::new(phys_to_virt(UART0), UART_CLOCK_HZ, UART0_IRQ),
        gic: GicV3::new(phys_to_virt(GICD), phys_to_virt(GICR)),
        power: Psci,
    }
};

impl Board for Virt {
    fn name(&self) -> &'static str {
        "QEMU virt"
    }
    fn early_init(&self) {}
    fn console(&self) -> &dyn Console {
        &self.uart
    }
    fn interrupts(&self) -> &dyn InterruptController {
        &self.gic
    }
    fn power(&self) -> &dyn Power {
        &self.power
    }
    fn timer_irq(&self) -> Irq {
        TIMER_IRQ
    }
    fn mmio(&self) -> &'static [PhysRange] {
        &MMIO
    }
    fn probe_block_devices(&self, found: &mut dyn FnMut(&'static dyn BlockDevice)) {
        // QEMU fills slots from the top: the first -device (the root disk)
        // is in the highest slot.
        let mut n = 0;
        for slot in (0..VIRTIO_SLOTS).rev() {
            if n == MAX_DISKS {
                break;
            }
            let base = phys_to_virt(VIRTIO_MMIO + slot * VIRTIO_SLOT_SIZE);
            // SAFETY: the virtio-mmio window is mapped (MMIO) and each slot
            // is taken by at most one driver, here, once.
            let disk = unsafe {
                if !VirtioBlk::is_block_device(base) {
                    continue;
                }
                VirtioBlk::new(DISK_NAMES[n], base, VIRTIO_IRQ_BASE + slot as Irq)
            };
            if let Some(disk) = disk {
                found(DISKS[n].call_once(|| disk));
                n += 1;
            }
        }
    }

    fn dtb_candidates(&self) -> &'static [usize] {
        // With an ELF kernel QEMU passes x0 = 0 and puts the DTB at the
        // start of RAM (our link address leaves it room).
        &[RAM_BASE]
    }
}

kernel::board!(BOARD);

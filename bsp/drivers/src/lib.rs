//! Device drivers written once and shared by the boards.
//!
//! Each module owns one kind of device. Drivers take the *virtual* address of
//! their registers (the kernel's linear map, see [`bsp_api::phys_to_virt`]) so
//! they work unchanged before and after the kernel switches page tables.
#![no_std]

pub mod bcm2836_intc;
pub mod dma;
pub mod gicv2;
pub mod gicv3;
pub mod mailbox;
pub mod mmio;
pub mod pi_gpio;
pub mod pi_watchdog;
pub mod pl011;
pub mod psci;
pub mod sdhci;
pub mod virtio_blk;

//! The Raspberry Pi GPIO block: pin functions and pulls. Used to put the
//! PL011 console on the header pins (GPIO 14/15, see bootimg/CONSOLE.md)
//! and the SD card on the Arasan controller (Pi 3).

use crate::mmio::Mmio;

const GPFSEL0: usize = 0x00;
const GPPUD: usize = 0x94;
const GPPUDCLK0: usize = 0x98;
/// Pi 4 only: two pull bits per pin, 16 pins per register.
const GPIO_PUP_PDN_CNTRL_REG0: usize = 0xe4;

/// Pin functions (the 3-bit GPFSEL codes).
pub const INPUT: u32 = 0b000;
pub const ALT0: u32 = 0b100;
pub const ALT3: u32 = 0b111;

/// Pull resistor.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pull {
    None,
    Up,
}

/// Which generation of pull control the SoC has.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Soc {
    /// BCM2837: GPPUD + GPPUDCLK sequence.
    Bcm2837,
    /// BCM2711: direct pull registers.
    Bcm2711,
}

pub struct PiGpio {
    regs: Mmio,
    soc: Soc,
}

impl PiGpio {
    /// # Safety
    /// `base` must be the virtual address of the GPIO block, mapped as
    /// device memory.
    pub const unsafe fn new(base: usize, soc: Soc) -> Self {
        Self {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { Mmio::new(base) },
            soc,
        }
    }

    /// Select function `f` for `pin`.
    pub fn set_function(&self, pin: u32, f: u32) {
        let reg = GPFSEL0 + (pin as usize / 10) * 4;
        let shift = (pin % 10) * 3;
        let v = self.regs.read(reg);
        self.regs.write(reg, (v & !(0b111 << shift)) | (f << shift));
    }

    /// Set the pull resistor of `pin`.
    pub fn set_pull(&self, pin: u32, pull: Pull) {
        match self.soc {
            Soc::Bcm2711 => {
                let reg = GPIO_PUP_PDN_CNTRL_REG0 + (pin as usize / 16) * 4;
                let shift = (pin % 16) * 2;
                let code = if pull == Pull::Up { 0b01 } else { 0b00 };
                let v = self.regs.read(reg);
                self.regs
                    .write(reg, (v & !(0b11 << shift)) | (code << shift));
            }
            Soc::Bcm2837 => {
                // The documented sequence: control, wait 150 cycles, clock
                // the pin, wait, then remove both.
                self.regs.write(GPPUD, if pull == Pull::Up { 2 } else { 0 });
                delay(150);
                self.regs
                    .write(GPPUDCLK0 + (pin as usize / 32) * 4, 1 << (pin % 32));
                delay(150);
                self.regs.write(GPPUD, 0);
                self.regs.write(GPPUDCLK0 + (pin as usize / 32) * 4, 0);
            }
        }
    }

    /// Put the PL011 (UART0) on header pins 8/10 (GPIO 14 TXD, 15 RXD),
    /// and make sure nothing else drives its RX line.
    pub fn route_uart0_to_header(&self) {
        self.set_function(14, ALT0);
        self.set_function(15, ALT0);
        self.set_pull(14, Pull::None);
        self.set_pull(15, Pull::Up);
        // GPIO 32/33 can also carry UART0 (to Bluetooth): make them inputs.
        self.set_function(32, INPUT);
        self.set_function(33, INPUT);
    }
}

fn delay(cycles: u32) {
    for _ in 0..cycles {
        core::hint::spin_loop();
    }
}

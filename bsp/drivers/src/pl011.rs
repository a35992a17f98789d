//! The ARM PrimeCell PL011 UART: the console on every board.
//!
//! Transmit is polled (the FIFO drains at line rate); receive is
//! interrupt-driven: the RX and RX-timeout interrupts fire when bytes arrive
//! and [`Pl011::drain_rx`] empties the FIFO from the IRQ handler.

use bsp_api::{Console, Irq};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_bitfields;
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};

register_bitfields! {
    u32,
    FR [
        TXFF OFFSET(5) NUMBITS(1) [],
        RXFE OFFSET(4) NUMBITS(1) [],
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    LCR_H [
        WLEN OFFSET(5) NUMBITS(2) [EightBit = 0b11],
        FEN OFFSET(4) NUMBITS(1) []
    ],
    CR [
        RXE OFFSET(9) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        LBE OFFSET(7) NUMBITS(1) [],
        UARTEN OFFSET(0) NUMBITS(1) []
    ],
    IFLS [
        RXIFLSEL OFFSET(3) NUMBITS(3) [OneEighth = 0b000]
    ],
    INT [
        RTIM OFFSET(6) NUMBITS(1) [],
        RXIM OFFSET(4) NUMBITS(1) []
    ]
}

register_structs! {
    Registers {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved0),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        (0x24 => ibrd: ReadWrite<u32>),
        (0x28 => fbrd: ReadWrite<u32>),
        (0x2c => lcr_h: ReadWrite<u32, LCR_H::Register>),
        (0x30 => cr: ReadWrite<u32, CR::Register>),
        (0x34 => ifls: ReadWrite<u32, IFLS::Register>),
        (0x38 => imsc: ReadWrite<u32, INT::Register>),
        (0x3c => _reserved2),
        (0x44 => icr: WriteOnly<u32, INT::Register>),
        (0x48 => @END),
    }
}

/// A PL011 at a fixed address, clocked at `clock_hz`, run at 115200 8N1.
pub struct Pl011 {
    base: usize,
    clock_hz: u32,
    irq: Irq,
}

const BAUD: u32 = 115_200;

impl Pl011 {
    /// # Safety
    /// `base` must be the virtual address of a PL011's registers, mapped as
    /// device memory for the lifetime of the driver.
    pub const unsafe fn new(base: usize, clock_hz: u32, irq: Irq) -> Self {
        Self {
            base,
            clock_hz,
            irq,
        }
    }

    fn regs(&self) -> &Registers {
        // SAFETY: `new`'s contract: `base` points at the PL011 register block.
        unsafe { &*(self.base as *const Registers) }
    }

    /// Integer and fractional baud divisors: clock / (16 * baud) in 1/64ths.
    fn divisors(&self) -> (u32, u32) {
        let div64 = (self.clock_hz as u64 * 4 + BAUD as u64 / 2) / BAUD as u64;
        ((div64 >> 6) as u32, (div64 & 0x3f) as u32)
    }

    fn write_byte(&self, byte: u8) {
        let r = self.regs();
        while r.fr.is_set(FR::TXFF) {
            core::hint::spin_loop();
        }
        r.dr.set(byte as u32);
    }
}

impl Console for Pl011 {
    fn init(&self) {
        let r = self.regs();
        // Let anything already queued go out before reprogramming.
        while r.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
        r.cr.set(0);
        r.icr.set(0x7ff);
        let (ibrd, fbrd) = self.divisors();
        r.ibrd.set(ibrd);
        r.fbrd.set(fbrd);
        r.lcr_h.write(LCR_H::WLEN::EightBit + LCR_H::FEN::SET);
        r.ifls.write(IFLS::RXIFLSEL::OneEighth);
        r.imsc.set(0);
        r.cr.write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
    }

    fn write_bytes(&self, bytes: &[u8]) {
        for &b in bytes {
            self.write_byte(b);
        }
    }

    fn enable_rx_interrupt(&self) {
        self.regs().imsc.write(INT::RXIM::SET + INT::RTIM::SET);
    }

    fn drain_rx(&self, sink: &mut dyn FnMut(u8)) {
        let r = self.regs();
        // Clear the interrupt *before* emptying the FIFO: a byte arriving
        // during the drain then raises it again. (Clearing afterwards lost
        // that interrupt, and with it all further input: docs/bugs/0002.)
        r.icr.write(INT::RXIM::SET + INT::RTIM::SET);
        while !r.fr.is_set(FR::RXFE) {
            sink((r.dr.get() & 0xff) as u8);
        }
    }

    fn set_loopback(&self, on: bool) {
        let r = self.regs();
        while r.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
        let base = CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET;
        if on {
            r.cr.write(base + CR::LBE::SET);
        } else {
            r.cr.write(base);
        }
    }

    fn irq(&self) -> Irq {
        self.irq
    }
}

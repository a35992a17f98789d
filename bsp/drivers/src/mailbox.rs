//! The Raspberry Pi VideoCore mailbox, property channel (8): the way to ask
//! the firmware for facts such as the ARM memory size when no device tree
//! was passed (QEMU's `raspi3b`/`raspi4b` pass none).

use crate::dma;
use crate::mmio::Mmio;
use bsp_api::{virt_to_phys, MemoryProbe, PhysRange};
use spin::Mutex;

const READ: usize = 0x00;
const STATUS: usize = 0x18;
const WRITE: usize = 0x20;
const STATUS_FULL: u32 = 1 << 31;
const STATUS_EMPTY: u32 = 1 << 30;
const CHANNEL_PROPERTY: u32 = 8;
const REQUEST: u32 = 0;
const RESPONSE_OK: u32 = 0x8000_0000;
const TAG_GET_ARM_MEMORY: u32 = 0x0001_0005;
const TAG_GET_CLOCK_RATE: u32 = 0x0003_0002;

/// Clock ids for `clock_rate`.
pub const CLOCK_EMMC: u32 = 1;
pub const CLOCK_EMMC2: u32 = 12;
/// The VideoCore sees ARM RAM through its uncached alias at 0xC000_0000.
const VC_BUS_ALIAS: u32 = 0xc000_0000;
/// Bounded wait so a missing or wedged firmware gives an error, not a hang.
const MAX_POLLS: u32 = 10_000_000;

#[repr(C, align(16))]
struct Buffer([u32; 16]);

pub struct Mailbox {
    regs: Mmio,
    buffer: Mutex<Buffer>,
}

/// The firmware did not answer, or answered with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxError;

impl Mailbox {
    /// # Safety
    /// `base` must be the virtual address of the mailbox registers
    /// (peripheral base + 0xB880), mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { Mmio::new(base) },
            buffer: Mutex::new(Buffer([0; 16])),
        }
    }

    /// Send the property buffer and wait for the firmware's answer.
    fn call(&self, buf: &mut Buffer) -> Result<(), MailboxError> {
        let va = buf.0.as_ptr() as usize;
        let bus = (virt_to_phys(va) as u32) | VC_BUS_ALIAS;
        dma::clean_invalidate(va, core::mem::size_of::<Buffer>());
        let mut polls = 0;
        while self.regs.read(STATUS) & STATUS_FULL != 0 {
            polls += 1;
            if polls > MAX_POLLS {
                return Err(MailboxError);
            }
        }
        self.regs.write(WRITE, bus | CHANNEL_PROPERTY);
        loop {
            while self.regs.read(STATUS) & STATUS_EMPTY != 0 {
                polls += 1;
                if polls > MAX_POLLS {
                    return Err(MailboxError);
                }
            }
            if self.regs.read(READ) & 0xf == CHANNEL_PROPERTY {
                break;
            }
        }
        dma::clean_invalidate(va, core::mem::size_of::<Buffer>());
        if buf.0[1] == RESPONSE_OK {
            Ok(())
        } else {
            Err(MailboxError)
        }
    }

    /// The RAM the firmware gives the ARM cores: (base, size).
    pub fn arm_memory(&self) -> Result<PhysRange, MailboxError> {
        let mut buf = self.buffer.lock();
        buf.0 = [0; 16];
        let words = [8 * 4, REQUEST, TAG_GET_ARM_MEMORY, 8, 0, 0, 0, 0];
        buf.0[..8].copy_from_slice(&words);
        self.call(&mut buf)?;
        Ok(PhysRange::new(buf.0[5] as usize, buf.0[6] as usize))
    }
}

impl Mailbox {
    /// The rate of firmware clock `id` in Hz.
    pub fn clock_rate(&self, id: u32) -> Result<u32, MailboxError> {
        let mut buf = self.buffer.lock();
        buf.0 = [0; 16];
        let words = [8 * 4, REQUEST, TAG_GET_CLOCK_RATE, 8, 0, id, 0, 0];
        buf.0[..8].copy_from_slice(&words);
        self.call(&mut buf)?;
        match buf.0[6] {
            0 => Err(MailboxError),
            rate => Ok(rate),
        }
    }
}

impl MemoryProbe for Mailbox {
    fn ram(&self, out: &mut [PhysRange]) -> usize {
        match (self.arm_memory(), out.first_mut()) {
            (Ok(range), Some(slot)) if range.size > 0 => {
                *slot = range;
                1
            }
            _ => 0,
        }
    }
}

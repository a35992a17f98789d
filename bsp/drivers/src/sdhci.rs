//! SD cards on an SD Host Controller Interface (the Pi's Arasan SDHCI, and
//! the Pi 4's EMMC2): card initialisation (CMD0/8, ACMD41, CMD2/3/9/7, with
//! high-capacity cards), clocking, and single/multi-block transfers.
//!
//! Data moves by PIO through the controller's data port, so no DMA and no
//! cache maintenance is involved. Every wait is bounded (a counter deadline
//! read through the `now` callback): a missing or broken card gives an
//! error, never a hang.

use crate::mmio::Mmio;
use bsp_api::{BlockDevice, BlockError, SECTOR_SIZE};
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

const ARG2: usize = 0x00;
const BLKSIZECNT: usize = 0x04;
const ARG1: usize = 0x08;
const CMDTM: usize = 0x0c;
const RESP0: usize = 0x10;
const DATA: usize = 0x20;
const STATUS: usize = 0x24;
const CONTROL0: usize = 0x28;
const CONTROL1: usize = 0x2c;
const INTERRUPT: usize = 0x30;
const IRPT_MASK: usize = 0x34;
const IRPT_EN: usize = 0x38;
const CAPABILITIES: usize = 0x40;
const HOST_VERSION: usize = 0xfc;

const STATUS_CMD_INHIBIT: u32 = 1 << 0;
const STATUS_DAT_INHIBIT: u32 = 1 << 1;

const INT_CMD_DONE: u32 = 1 << 0;
const INT_DATA_DONE: u32 = 1 << 1;
const INT_WRITE_READY: u32 = 1 << 4;
const INT_READ_READY: u32 = 1 << 5;
const INT_ERROR: u32 = 1 << 15;
const INT_ALL: u32 = 0xffff_ffff;

const C1_CLK_INTLEN: u32 = 1 << 0;
const C1_CLK_STABLE: u32 = 1 << 1;
const C1_CLK_EN: u32 = 1 << 2;
const C1_RESET_ALL: u32 = 1 << 24;
const C1_RESET_CMD: u32 = 1 << 25;
const C1_RESET_DATA: u32 = 1 << 26;
const C1_TIMEOUT_MAX: u32 = 0xe << 16;

// CMDTM transfer-mode bits (low half) and command bits (high half).
const TM_BLKCNT_EN: u32 = 1 << 1;
const TM_AUTO_CMD12: u32 = 1 << 2;
const TM_READ: u32 = 1 << 4;
const TM_MULTI: u32 = 1 << 5;
const CMD_RSP_136: u32 = 1 << 16;
const CMD_RSP_48: u32 = 2 << 16;
const CMD_RSP_48_BUSY: u32 = 3 << 16;
const CMD_CRC_CHECK: u32 = 1 << 19;
const CMD_INDEX_CHECK: u32 = 1 << 20;
const CMD_DATA: u32 = 1 << 21;

/// How long one command or block may take, and card power-up.
const COMMAND_TIMEOUT_NS: u64 = 100_000_000;
const POWER_UP_TIMEOUT_NS: u64 = 1_000_000_000;
const INIT_CLOCK_HZ: u32 = 400_000;
const RUN_CLOCK_HZ: u32 = 25_000_000;

/// Response kinds.
#[derive(Clone, Copy)]
enum Resp {
    None,
    R1,
    R1b,
    R2,
    R3,
    R6,
    R7,
}

impl Resp {
    fn bits(self) -> u32 {
        match self {
            Resp::None => 0,
            Resp::R1 | Resp::R6 | Resp::R7 => CMD_RSP_48 | CMD_CRC_CHECK | CMD_INDEX_CHECK,
            Resp::R1b => CMD_RSP_48_BUSY | CMD_CRC_CHECK | CMD_INDEX_CHECK,
            Resp::R2 => CMD_RSP_136 | CMD_CRC_CHECK,
            Resp::R3 => CMD_RSP_48,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdError {
    Timeout,
    Command(u32),
    NoCard,
    Unsupported,
}

struct Card {
    high_capacity: bool,
    sectors: u64,
}

/// A monotonic clock in nanoseconds, supplied by the kernel.
pub type Clock = fn() -> u64;

pub struct Sdhci {
    regs: Mmio,
    base_clock_hz: AtomicU32,
    now: Clock,
    card: Mutex<Option<Card>>,
    name: &'static str,
}

impl Sdhci {
    /// # Safety
    /// `base` must be the virtual address of an SDHCI register block,
    /// mapped as device memory, used by nothing else.
    pub const unsafe fn new(
        name: &'static str,
        base: usize,
        base_clock_hz: u32,
        now: Clock,
    ) -> Self {
        Self {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { Mmio::new(base) },
            base_clock_hz: AtomicU32::new(base_clock_hz),
            now,
            card: Mutex::new(None),
            name,
        }
    }

    fn wait(&self, timeout_ns: u64, mut done: impl FnMut() -> bool) -> Result<(), SdError> {
        let deadline = (self.now)() + timeout_ns;
        while !done() {
            if (self.now)() > deadline {
                return Err(SdError::Timeout);
            }
            core::hint::spin_loop();
        }
        Ok(())
    }

    fn reset(&self, bits: u32) -> Result<(), SdError> {
        let c1 = self.regs.read(CONTROL1);
        self.regs.write(CONTROL1, c1 | bits);
        self.wait(COMMAND_TIMEOUT_NS, || self.regs.read(CONTROL1) & bits == 0)
    }

    fn set_clock(&self, hz: u32) -> Result<(), SdError> {
        self.wait(COMMAND_TIMEOUT_NS, || {
            self.regs.read(STATUS) & (STATUS_CMD_INHIBIT | STATUS_DAT_INHIBIT) == 0
        })?;
        let mut c1 = self.regs.read(CONTROL1) & !(C1_CLK_EN | 0xffff);
        self.regs.write(CONTROL1, c1);
        // SDHCI 3.0 10-bit divided clock: f = base / (2 * div).
        let div = self
            .base_clock_hz
            .load(Ordering::Relaxed)
            .div_ceil(2 * hz)
            .clamp(1, 0x3ff);
        c1 |= ((div & 0xff) << 8) | (((div >> 8) & 0x3) << 6) | C1_CLK_INTLEN | C1_TIMEOUT_MAX;
        self.regs.write(CONTROL1, c1);
        self.wait(COMMAND_TIMEOUT_NS, || {
            self.regs.read(CONTROL1) & C1_CLK_STABLE != 0
        })?;
        self.regs.write(CONTROL1, c1 | C1_CLK_EN);
        Ok(())
    }

    /// Send a command and wait for its response (not its data).
    fn command(&self, index: u32, arg: u32, resp: Resp, extra: u32) -> Result<[u32; 4], SdError> {
        self.wait(COMMAND_TIMEOUT_NS, || {
            self.regs.read(STATUS) & STATUS_CMD_INHIBIT == 0
        })?;
        self.regs.write(INTERRUPT, INT_ALL);
        self.regs.write(ARG1, arg);
        self.regs.write(CMDTM, (index << 24) | resp.bits() | extra);
        let mut status = 0;
        self.wait(COMMAND_TIMEOUT_NS, || {
            status = self.regs.read(INTERRUPT);
            status & (INT_CMD_DONE | INT_ERROR) != 0
        })?;
        if status & INT_ERROR != 0 {
            self.regs.write(INTERRUPT, INT_ALL);
            let _ = self.reset(C1_RESET_CMD | C1_RESET_DATA);
            return Err(SdError::Command(status));
        }
        self.regs.write(INTERRUPT, INT_CMD_DONE);
        let r = [0, 1, 2, 3].map(|i| self.regs.read(RESP0 + 4 * i));
        Ok(r)
    }

    fn app_command(&self, index: u32, arg: u32, resp: Resp, rca: u32) -> Result<[u32; 4], SdError> {
        self.command(55, rca << 16, Resp::R1, 0)?;
        self.command(index, arg, resp, 0)
    }

    /// Reset the controller and bring a card up. `Err(NoCard)` if nothing
    /// answers.
    pub fn init(&self) -> Result<u64, SdError> {
        if self.regs.read(HOST_VERSION) == u32::MAX {
            return Err(SdError::NoCard);
        }
        self.reset(C1_RESET_ALL)?;
        // Bus power on at 3.3 V.
        let c0 = self.regs.read(CONTROL0) & !(0xff << 8);
        self.regs.write(CONTROL0, c0 | (0x0f << 8));
        self.set_clock(INIT_CLOCK_HZ)?;
        self.regs.write(IRPT_EN, 0);
        self.regs.write(IRPT_MASK, INT_ALL);
        self.regs.write(INTERRUPT, INT_ALL);

        self.command(0, 0, Resp::None, 0)
            .map_err(|_| SdError::NoCard)?;
        let v2 = match self.command(8, 0x1aa, Resp::R7, 0) {
            Ok(r) if r[0] & 0xfff == 0x1aa => true,
            Ok(_) => return Err(SdError::Unsupported),
            Err(_) => false,
        };
        let hcs = if v2 { 1 << 30 } else { 0 };
        let mut ocr = 0;
        self.wait(POWER_UP_TIMEOUT_NS, || {
            match self.app_command(41, hcs | 0x00ff_8000, Resp::R3, 0) {
                Ok(r) => ocr = r[0],
                Err(_) => ocr = 0,
            }
            ocr & (1 << 31) != 0
        })
        .map_err(|_| SdError::NoCard)?;
        let high_capacity = ocr & (1 << 30) != 0;
        self.command(2, 0, Resp::R2, 0)?;
        let rca = self.command(3, 0, Resp::R6, 0)?[0] >> 16;
        let csd = self.command(9, rca << 16, Resp::R2, 0)?;
        let sectors = csd_sectors(&csd).ok_or(SdError::Unsupported)?;
        self.command(7, rca << 16, Resp::R1b, 0)?;
        self.set_clock(RUN_CLOCK_HZ)?;
        if !high_capacity {
            self.command(16, SECTOR_SIZE as u32, Resp::R1, 0)?;
        }
        *self.card.lock() = Some(Card {
            high_capacity,
            sectors,
        });
        Ok(sectors)
    }

    /// The command argument addressing `sector` on the current card.
    fn address(&self, sector: u64) -> Result<u32, SdError> {
        let guard = self.card.lock();
        let card = guard.as_ref().ok_or(SdError::NoCard)?;
        let arg = if card.high_capacity {
            sector
        } else {
            sector * SECTOR_SIZE as u64
        };
        u32::try_from(arg).map_err(|_| SdError::Unsupported)
    }

    /// Wait for `flag` in the interrupt status (or an error), then clear it.
    fn wait_flag(&self, flag: u32) -> Result<(), SdError> {
        let mut status = 0;
        self.wait(COMMAND_TIMEOUT_NS, || {
            status = self.regs.read(INTERRUPT);
            status & (flag | INT_ERROR) != 0
        })?;
        if status & INT_ERROR != 0 {
            self.regs.write(INTERRUPT, INT_ALL);
            let _ = self.reset(C1_RESET_CMD | C1_RESET_DATA);
            return Err(SdError::Command(status));
        }
        self.regs.write(INTERRUPT, flag);
        Ok(())
    }

    /// One read or write command for `count` sectors; `block` moves each
    /// 512-byte block through the data port once the controller is ready.
    fn transfer(
        &self,
        sector: u64,
        count: usize,
        read: bool,
        mut block: impl FnMut(usize, &Mmio),
    ) -> Result<(), SdError> {
        let arg = self.address(sector)?;
        self.wait(COMMAND_TIMEOUT_NS, || {
            self.regs.read(STATUS) & STATUS_DAT_INHIBIT == 0
        })?;
        self.regs.write(ARG2, 0);
        self.regs
            .write(BLKSIZECNT, SECTOR_SIZE as u32 | ((count as u32) << 16));
        let direction = if read { TM_READ } else { 0 };
        let (index, mode) = match (read, count > 1) {
            (true, false) => (17, direction),
            (true, true) => (18, direction | TM_MULTI | TM_BLKCNT_EN | TM_AUTO_CMD12),
            (false, false) => (24, direction),
            (false, true) => (25, direction | TM_MULTI | TM_BLKCNT_EN | TM_AUTO_CMD12),
        };
        self.command(index, arg, Resp::R1, CMD_DATA | mode)?;
        let ready = if read {
            INT_READ_READY
        } else {
            INT_WRITE_READY
        };
        for i in 0..count {
            self.wait_flag(ready)?;
            block(i, &self.regs);
        }
        self.wait_flag(INT_DATA_DONE)
    }

    /// Set the controller's base clock (from the firmware) before `init`.
    pub fn set_base_clock(&self, hz: u32) {
        self.base_clock_hz.store(hz, Ordering::Relaxed);
    }

    /// Base clock from the capabilities register, if the controller says.
    pub fn reported_base_clock_hz(&self) -> Option<u32> {
        let mhz = (self.regs.read(CAPABILITIES) >> 8) & 0xff;
        (mhz != 0).then_some(mhz * 1_000_000)
    }
}

/// Sectors moved per command.
const MAX_SECTORS_PER_COMMAND: usize = 128;

fn io_error(_: SdError) -> BlockError {
    BlockError::Io
}

impl BlockDevice for Sdhci {
    fn name(&self) -> &'static str {
        self.name
    }

    fn sectors(&self) -> u64 {
        self.card.lock().as_ref().map_or(0, |c| c.sectors)
    }

    fn read(&self, sector: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        if buf.is_empty()
            || !buf.len().is_multiple_of(SECTOR_SIZE)
            || sector + (buf.len() / SECTOR_SIZE) as u64 > self.sectors()
        {
            return Err(BlockError::OutOfRange);
        }
        for (n, chunk) in buf
            .chunks_mut(MAX_SECTORS_PER_COMMAND * SECTOR_SIZE)
            .enumerate()
        {
            let at = sector + (n * MAX_SECTORS_PER_COMMAND) as u64;
            let count = chunk.len() / SECTOR_SIZE;
            self.transfer(at, count, true, |i, regs| {
                for word in chunk[i * SECTOR_SIZE..(i + 1) * SECTOR_SIZE].chunks_mut(4) {
                    word.copy_from_slice(&regs.read(DATA).to_le_bytes());
                }
            })
            .map_err(io_error)?;
        }
        Ok(())
    }

    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), BlockError> {
        if buf.is_empty()
            || !buf.len().is_multiple_of(SECTOR_SIZE)
            || sector + (buf.len() / SECTOR_SIZE) as u64 > self.sectors()
        {
            return Err(BlockError::OutOfRange);
        }
        for (n, chunk) in buf
            .chunks(MAX_SECTORS_PER_COMMAND * SECTOR_SIZE)
            .enumerate()
        {
            let at = sector + (n * MAX_SECTORS_PER_COMMAND) as u64;
            let count = chunk.len() / SECTOR_SIZE;
            self.transfer(at, count, false, |i, regs| {
                for word in chunk[i * SECTOR_SIZE..(i + 1) * SECTOR_SIZE].chunks(4) {
                    regs.write(
                        DATA,
                        u32::from_le_bytes([word[0], word[1], word[2], word[3]]),
                    );
                }
            })
            .map_err(io_error)?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), BlockError> {
        // Writes complete (DATA_DONE) before `write` returns.
        Ok(())
    }
}

/// Sectors of a card from its CSD register (as the controller reports R2,
/// shifted right by 8 bits).
fn csd_sectors(csd: &[u32; 4]) -> Option<u64> {
    // Reassemble the 120 reported bits into a 128-bit CSD value (bits 127:8).
    let raw: u128 =
        (csd[0] as u128) | (csd[1] as u128) << 32 | (csd[2] as u128) << 64 | (csd[3] as u128) << 96;
    let bits =
        |hi: u32, lo: u32| -> u64 { ((raw << 8) >> lo) as u64 & ((1u64 << (hi - lo + 1)) - 1) };
    match bits(127, 126) {
        1 => Some((bits(69, 48) + 1) * 1024),
        0 => {
            let c_size = bits(73, 62);
            let mult = bits(49, 47);
            let read_bl_len = bits(83, 80);
            let bytes = (c_size + 1) << (mult + 2) << read_bl_len;
            Some(bytes / SECTOR_SIZE as u64)
        }
        _ => None,
    }
}

//! The ARM generic timer: the EL1 physical timer (CNTP) drives a periodic
//! tick; the counter (CNTPCT) is the monotonic clock. The frequency is read
//! from CNTFRQ_EL0, never assumed (62.5 MHz on QEMU, 19.2 or 54 MHz on Pis).

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0, CNTP_CTL_EL0, CNTP_CVAL_EL0};
use core::sync::atomic::{AtomicU64, Ordering};
use tock_registers::interfaces::{Readable, Writeable};

static PERIOD_TICKS: AtomicU64 = AtomicU64::new(0);

/// Counter ticks per second.
pub fn frequency() -> u64 {
    CNTFRQ_EL0.get()
}

/// The counter's current value.
pub fn counter() -> u64 {
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
    CNTPCT_EL0.get()
}

/// Nanoseconds since the counter started.
pub fn now_ns() -> u64 {
    ticks_to_ns(counter())
}

pub fn ticks_to_ns(ticks: u64) -> u64 {
    (ticks as u128 * 1_000_000_000 / frequency() as u128) as u64
}

pub fn ns_to_ticks(ns: u64) -> u64 {
    (ns as u128 * frequency() as u128 / 1_000_000_000) as u64
}

/// Start a periodic interrupt `hz` times a second.
pub fn start_periodic(hz: u64) {
    let period = frequency() / hz;
    PERIOD_TICKS.store(period, Ordering::Relaxed);
    CNTP_CVAL_EL0.set(counter() + period);
    CNTP_CTL_EL0.write(CNTP_CTL_EL0::ENABLE::SET + CNTP_CTL_EL0::IMASK::CLEAR);
}

/// Re-arm for the next period; called from the timer interrupt.
pub fn rearm() {
    let period = PERIOD_TICKS.load(Ordering::Relaxed);
    let now = counter();
    let mut next = CNTP_CVAL_EL0.get() + period;
    if next <= now {
        // We fell behind (e.g. a long section with IRQs masked): skip ahead.
        next = now + period;
    }
    CNTP_CVAL_EL0.set(next);
}

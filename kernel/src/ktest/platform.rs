//! Platform tests: the timer and its interrupt, the console's receive path
//! (PL011 loopback, and who gets a pending Ctrl-C), and the exception path
//! catching a kernel data abort.

use super::TestResult;
use crate::arch::fault::probe_read;
use crate::arch::{cpu, timer};
use crate::{check, check_eq, ktest};
use alloc::vec::Vec;
use klib::esr::ec;

/// Wait for `done`, sleeping between interrupts; give up after `ms`
/// milliseconds of counter time.
fn wait_until(ms: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = timer::counter() + timer::ns_to_ticks(ms * 1_000_000);
    while !done() {
        if timer::counter() > deadline {
            return false;
        }
        cpu::wait_for_interrupt();
    }
    true
}

fn timer_counter_advances_and_ticks_arrive() -> TestResult {
    check!(
        timer::frequency() > 1_000_000,
        "CNTFRQ {} Hz",
        timer::frequency()
    );
    let (c0, t0) = (timer::counter(), crate::irq::ticks());
    check!(!cpu::irqs_masked(), "IRQs masked during tests");
    let arrived = wait_until(1000, || crate::irq::ticks() >= t0 + 3);
    check!(
        arrived,
        "no timer interrupts within 1 s (ticks {} -> {})",
        t0,
        crate::irq::ticks()
    );
    let elapsed_ns = timer::ticks_to_ns(timer::counter() - c0);
    // Each tick moves the compare value on by a period, so three ticks span
    // at least one full period even when a late tick makes them bunch up.
    check!(
        elapsed_ns >= 1_000_000_000 / crate::irq::TICK_HZ,
        "3 ticks in {elapsed_ns} ns"
    );
    check!(timer::now_ns() > 0);
    Ok(())
}
ktest!(timer_counter_advances_and_ticks_arrive);

fn console_loopback_round_trip() -> TestResult {
    // QEMU also sends loopback bytes to the host, so make them a line.
    const MESSAGE: &[u8] = b"(console loopback self-test)\r\n";
    let console = crate::board().console();
    while crate::console::read_byte().is_some() {}
    let received = crate::console::exclusive(|| {
        console.set_loopback(true);
        console.write_bytes(MESSAGE);
        let mut got = Vec::new();
        wait_until(500, || {
            while let Some(b) = crate::console::read_byte() {
                got.push(b);
            }
            got.len() >= MESSAGE.len()
        });
        console.set_loopback(false);
        got
    });
    check_eq!(received.as_slice(), MESSAGE);
    Ok(())
}
ktest!(console_loopback_round_trip);

fn console_pending_ctrl_c_is_only_for_who_asks() -> TestResult {
    // Two Ctrl-Cs typed with no foreground: one stays pending (the second
    // is dropped); ordinary readers read past it, in order; only a reader
    // that asks for Ctrl-C gets it (the shell's editor).
    const TYPED: &[u8] = b"\x03a\x03b\r\n";
    let console = crate::board().console();
    while crate::console::read_byte().is_some() {}
    let (plain, asked) = crate::console::exclusive(|| {
        console.set_loopback(true);
        console.write_bytes(TYPED);
        let mut plain = Vec::new();
        wait_until(500, || {
            while let Some(b) = crate::console::read_input(false) {
                plain.push(b);
            }
            plain.len() >= 4
        });
        console.set_loopback(false);
        let mut asked = Vec::new();
        while let Some(b) = crate::console::read_input(true) {
            asked.push(b);
        }
        (plain, asked)
    });
    check_eq!(plain.as_slice(), b"ab\r\n");
    check_eq!(asked.as_slice(), b"\x03");
    Ok(())
}
ktest!(console_pending_ctrl_c_is_only_for_who_asks);

fn exception_kernel_data_abort_caught() -> TestResult {
    // Unmapped in the kernel half (nothing lives at the top of the range)...
    let addr = 0xffff_7f00_0000_0008usize;
    let fault = probe_read(addr)
        .err()
        .ok_or("read of an unmapped address succeeded")?;
    check_eq!(fault.esr.class(), ec::DATA_ABORT_SAME);
    check_eq!(fault.esr.fault_name(), "translation fault");
    check!(!fault.esr.is_write());
    check_eq!(fault.far, addr);
    crate::println!("    caught: {} FAR {:#x}", fault.esr, fault.far);
    // ...and the null page: TTBR0 holds the empty table in the kernel.
    let null = probe_read(0).err().ok_or("read of address 0 succeeded")?;
    check_eq!(null.esr.class(), ec::DATA_ABORT_SAME);
    check_eq!(null.far, 0);
    // The kernel is still fine afterwards.
    check!(probe_read(&null as *const _ as usize).is_ok());
    Ok(())
}
ktest!(exception_kernel_data_abort_caught);

fn interrupts_none_unhandled() -> TestResult {
    check_eq!(crate::irq::unhandled(), 0);
    Ok(())
}
ktest!(interrupts_none_unhandled);

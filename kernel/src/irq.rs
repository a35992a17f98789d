//! Interrupt dispatch: acknowledge each pending interrupt at the board's
//! controller, run the kernel's handler for it, and signal completion.

use core::sync::atomic::{AtomicU64, Ordering};

static TICKS: AtomicU64 = AtomicU64::new(0);
static SPURIOUS: AtomicU64 = AtomicU64::new(0);

/// The tick rate of the periodic timer.
pub const TICK_HZ: u64 = 100;

/// Called from the IRQ vector with IRQs masked.
pub fn handle() {
    let board = crate::board();
    let intc = board.interrupts();
    while let Some(irq) = intc.claim() {
        if irq == board.timer_irq() {
            crate::arch::timer::rearm();
            TICKS.fetch_add(1, Ordering::Relaxed);
            crate::task::sched::on_tick();
        } else if irq == board.console().irq() {
            crate::console::on_rx_interrupt();
            crate::task::sched::on_console_input();
        } else if crate::block::handle_irq(irq) {
            // A disk's completion, already consumed by the waiting request.
        } else {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            intc.disable(irq);
        }
        intc.complete(irq);
    }
}

/// Timer interrupts taken since boot.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Interrupts that arrived with no handler (each is then disabled).
pub fn unhandled() -> u64 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// Start the periodic tick.
pub fn start_timer() {
    let board = crate::board();
    board.interrupts().enable(board.timer_irq());
    crate::arch::timer::start_periodic(TICK_HZ);
}

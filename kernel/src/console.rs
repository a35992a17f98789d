//! The kernel console over the board's UART: `print!`/`println!` (with
//! `\n` -> `\r\n`), an emergency writer for panics and fault reports, and a
//! receive buffer filled by the UART's interrupt.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

static OUTPUT: Mutex<()> = Mutex::new(());

struct Raw;

/// Send `bytes` to the UART, turning `\n` into `\r\n` as a terminal expects.
fn put(bytes: &[u8]) {
    let console = crate::board().console();
    let mut rest = bytes;
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        console.write_bytes(&rest[..nl]);
        console.write_bytes(b"\r\n");
        rest = &rest[nl + 1..];
    }
    console.write_bytes(rest);
}

impl Write for Raw {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        put(s.as_bytes());
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let _irq = crate::arch::cpu::IrqGuard::new();
    let _lock = OUTPUT.lock();
    let _ = Raw.write_fmt(args);
}

/// Write bytes that need not be UTF-8 (user output).
pub fn write_raw(bytes: &[u8]) {
    let _irq = crate::arch::cpu::IrqGuard::new();
    let _lock = OUTPUT.lock();
    put(bytes);
}

/// Write without waiting for the console lock (panics, fault reports):
/// a message interleaved with another beats a deadlocked report.
pub fn emergency(f: impl FnOnce(&mut dyn Write)) {
    let _irq = crate::arch::cpu::IrqGuard::new();
    let _lock = OUTPUT.try_lock();
    f(&mut Raw);
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}

/// Bytes received and not yet read: a ring written by the IRQ handler.
struct RxRing {
    buf: [u8; 256],
    head: usize,
    len: usize,
    dropped: usize,
}

impl RxRing {
    fn at(&self, k: usize) -> u8 {
        self.buf[(self.head + k) % self.buf.len()]
    }

    /// Remove the `k`th unread byte, keeping the others in order.
    fn remove(&mut self, k: usize) -> u8 {
        let cap = self.buf.len();
        let b = self.at(k);
        for j in k..self.len - 1 {
            self.buf[(self.head + j) % cap] = self.buf[(self.head + j + 1) % cap];
        }
        self.len -= 1;
        b
    }

    /// Remove the first unread `byte`, if any, keeping the others in order.
    fn take(&mut self, byte: u8) -> bool {
        match (0..self.len).find(|&k| self.at(k) == byte) {
            Some(k) => {
                self.remove(k);
                true
            }
            None => false,
        }
    }

    /// The first unread byte, skipping Ctrl-Cs unless `ctrl_c` (a skipped
    /// Ctrl-C stays, in place, for the next foreground or a reader that
    /// takes it).
    fn pop(&mut self, ctrl_c: bool) -> Option<u8> {
        let k = (0..self.len).find(|&k| ctrl_c || self.at(k) != CTRL_C)?;
        Some(self.remove(k))
    }
}

/// The byte Ctrl-C sends.
const CTRL_C: u8 = 0x03;

static RX: Mutex<RxRing> = Mutex::new(RxRing {
    buf: [0; 256],
    head: 0,
    len: 0,
    dropped: 0,
});

/// The process Ctrl-C kills (0: none), set by the shell.
static FOREGROUND: AtomicU32 = AtomicU32::new(0);

/// Make Ctrl-C (0x03) on the console kill `pid` (0: just deliver it).
/// A Ctrl-C typed before this call (e.g. right after Enter, while the
/// shell was still starting the program) and not yet read applies now.
pub fn set_foreground(pid: u32) {
    let _irq = crate::arch::cpu::IrqGuard::new();
    let mut rx = RX.lock();
    if pid != 0 && rx.take(CTRL_C) {
        let more_input = rx.len > 0;
        drop(rx);
        crate::task::sched::kill_by_kernel(pid);
        FOREGROUND.store(0, Ordering::Relaxed);
        if more_input {
            // A reader may have been waiting behind that Ctrl-C.
            crate::task::sched::on_console_input();
        }
        return;
    }
    FOREGROUND.store(pid, Ordering::Relaxed);
}

/// Receive interrupt: move everything the UART holds into the ring.
pub fn on_rx_interrupt() {
    let mut rx = RX.lock();
    crate::board().console().drain_rx(&mut |b| {
        let fg = FOREGROUND.load(Ordering::Relaxed);
        if b == CTRL_C && fg != 0 {
            crate::task::sched::kill_by_kernel(fg);
            FOREGROUND.store(0, Ordering::Relaxed);
            return;
        }
        // One pending Ctrl-C is enough: more would only fill the ring.
        if b == CTRL_C && (0..rx.len).any(|k| rx.at(k) == CTRL_C) {
            return;
        }
        if rx.len == rx.buf.len() {
            rx.dropped += 1;
        } else {
            let at = (rx.head + rx.len) % rx.buf.len();
            rx.buf[at] = b;
            rx.len += 1;
        }
    });
}

/// The next received byte, if any (the kernel's own readers).
pub fn read_byte() -> Option<u8> {
    let _irq = crate::arch::cpu::IrqGuard::new();
    pop()
}

/// The next received byte for a process: a Ctrl-C typed while no process
/// was the foreground only if `take_ctrl_c` (the interactive shell's
/// editor asks for it). Anyone else reads past it, so a program started
/// by the shell cannot swallow a Ctrl-C meant for the program the shell
/// is about to make the foreground ([`set_foreground`] applies it).
pub fn read_input(take_ctrl_c: bool) -> Option<u8> {
    let _irq = crate::arch::cpu::IrqGuard::new();
    RX.lock().pop(take_ctrl_c)
}

/// Wait (sleeping, not spinning) for the next received byte.
pub fn wait_byte() -> u8 {
    loop {
        // Check and sleep with IRQs masked: `wfi` still wakes on a pending
        // interrupt, so a byte arriving between the check and the sleep is
        // not missed.
        let irq = crate::arch::cpu::IrqGuard::new();
        if let Some(b) = pop() {
            return b;
        }
        crate::arch::cpu::wait_for_interrupt();
        drop(irq);
    }
}

fn pop() -> Option<u8> {
    RX.lock().pop(true)
}

/// Start taking input: unmask the UART's receive interrupt.
pub fn enable_input() {
    let console = crate::board().console();
    crate::board().interrupts().enable(console.irq());
    console.enable_rx_interrupt();
}

/// Hold the console output lock (with IRQs masked) while `f` runs, so
/// nothing else prints: used by the loopback self-test.
pub fn exclusive<R>(f: impl FnOnce() -> R) -> R {
    let _lock = OUTPUT.lock();
    f()
}

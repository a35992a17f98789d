//! Expected faults: instructions listed in the `__fixup_table` section may
//! fault; the exception handler then resumes at their fixup address instead
//! of treating the fault as a kernel bug. [`probe_read`] is the first user
//! (the fault self-test and safe backtraces); the user-memory copy routines
//! will be the next.

use core::sync::atomic::{AtomicU64, Ordering};
use klib::esr::Esr;

/// One entry of the fixup table: a faulting instruction and where to resume.
#[repr(C)]
struct Fixup {
    insn: usize,
    resume: usize,
}

extern "C" {
    static __fixup_start: Fixup;
    static __fixup_end: Fixup;
}

fn table() -> &'static [Fixup] {
    // SAFETY: the linker script brackets the __fixup_table section with
    // these symbols; its entries are `Fixup`-shaped `.quad` pairs.
    unsafe {
        let start = &raw const __fixup_start;
        let end = &raw const __fixup_end;
        core::slice::from_raw_parts(start, end.offset_from(start) as usize)
    }
}

/// Where to resume after a fault at `pc`, if the fault was expected.
pub fn fixup_for(pc: usize) -> Option<usize> {
    table().iter().find(|f| f.insn == pc).map(|f| f.resume)
}

static LAST_ESR: AtomicU64 = AtomicU64::new(0);
static LAST_FAR: AtomicU64 = AtomicU64::new(0);

/// Called by the exception handler when it takes a fixup.
pub fn record(esr: u64, far: u64) {
    LAST_ESR.store(esr, Ordering::Relaxed);
    LAST_FAR.store(far, Ordering::Relaxed);
}

/// A fault caught by a fixup: the syndrome and the faulting address.
#[derive(Clone, Copy, Debug)]
pub struct Fault {
    pub esr: Esr,
    pub far: usize,
}

/// Read a u64 from `addr`, turning a fault into an error instead of a crash.
pub fn probe_read(addr: usize) -> Result<u64, Fault> {
    let value: u64;
    let failed: u64;
    // SAFETY: the load may fault; its fixup entry makes the handler resume
    // at label 3, which reports failure. No other memory is touched.
    unsafe {
        core::arch::asm!(
            "mov {failed}, #0",
            "1: ldr {value}, [{addr}]",
            "2:",
            ".pushsection __fixup_table, \"a\"",
            ".balign 8",
            ".quad 1b, 3f",
            ".popsection",
            ".pushsection .text.fixup, \"ax\"",
            "3: mov {failed}, #1",
            "mov {value}, #0",
            "b 2b",
            ".popsection",
            addr = in(reg) addr,
            value = out(reg) value,
            failed = out(reg) failed,
            options(nostack, readonly)
        );
    }
    if failed == 0 {
        Ok(value)
    } else {
        Err(Fault {
            esr: Esr(LAST_ESR.load(Ordering::Relaxed)),
            far: LAST_FAR.load(Ordering::Relaxed) as usize,
        })
    }
}

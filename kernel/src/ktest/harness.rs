//! Tests of the test harness itself.
//!
//! `harness_injected_failure` fails on purpose when the kernel command line
//! holds `ktest.inject_failure`: the host runs that boot with
//! `bootimg run --expect-fail` to prove a failing test fails `make test`.

use super::{bootarg, TestResult};
use crate::{check, ktest};

fn harness_injected_failure() -> TestResult {
    check!(
        !bootarg("ktest.inject_failure"),
        "failing on purpose: ktest.inject_failure is on the command line"
    );
    Ok(())
}
ktest!(harness_injected_failure);

/// With `ktest.crash` on the command line: an unexpected kernel data abort
/// (no fixup). The exception path must report ESR/ELR/FAR and registers,
/// then panic with a backtrace and a failure exit: the host checks all that
/// with `bootimg run --expect-crash`.
fn harness_unexpected_fault_crashes_cleanly() -> TestResult {
    if bootarg("ktest.crash") {
        let addr = CRASH_ADDRESS as *const u64;
        // SAFETY: deliberately unsound: this read faults, and the fault is
        // the point of the test. The kernel does not return from it.
        let value = unsafe { core::ptr::read_volatile(addr) };
        check!(false, "read of an unmapped address returned {value:#x}");
    }
    Ok(())
}
ktest!(harness_unexpected_fault_crashes_cleanly);

/// Unmapped kernel-half address used by the crash test (the host checks the
/// reported FAR against it).
const CRASH_ADDRESS: usize = 0xffff_7e00_dead_0000;

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

//! Time calls: the monotonic clock and sleeping.

use super::{ok0, ok1, Ret};

pub fn clock() -> Ret {
    ok1(crate::arch::timer::now_ns())
}

pub fn sleep(ns: u64) -> Ret {
    crate::task::sched::sleep(ns);
    ok0()
}

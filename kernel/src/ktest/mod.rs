//! The in-kernel test suite, built with the `ktest` feature and run at boot.
//!
//! Tests register themselves with [`ktest!`](crate::ktest) into the `.ktests`
//! linker section; [`run_all`] runs them in link order, printing
//! `test NAME ... ok|FAILED` per test. Then, if the boot archive holds the
//! user test program `utest`, it runs it as the first process; `utest`
//! prints its own test lines and reports its counts with the
//! `ktest_report` system call. Last come the leak check (free frames, heap
//! bytes and process slots back at their starting values) and the summary
//! `N passed, N failed`; QEMU exits with status 0 only if nothing failed.

use crate::arch::semihosting;
use crate::mm::{frames, heap};
use crate::println;
use alloc::string::String;

mod harness;
mod mem;
mod platform;

/// What a test returns: `Err(reason)` on failure.
pub type TestResult = Result<(), String>;

/// One registered test.
#[repr(C)]
pub struct KTest {
    pub name: &'static str,
    pub run: fn() -> TestResult,
}

/// Register a test function: `ktest!(my_test);`.
#[macro_export]
macro_rules! ktest {
    ($f:ident) => {
        const _: () = {
            #[link_section = ".ktests"]
            #[used]
            static TEST: $crate::ktest::KTest = $crate::ktest::KTest {
                name: concat!(module_path!(), "::", stringify!($f)),
                run: $f,
            };
        };
    };
}

/// Fail the test with a formatted reason unless `cond` holds.
#[macro_export]
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            return Err(alloc::format!("check failed: {} ({}:{})", stringify!($cond), file!(), line!()));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(alloc::format!("{} ({}:{})", alloc::format!($($arg)+), file!(), line!()));
        }
    };
}

/// Fail unless the two values are equal, showing both.
#[macro_export]
macro_rules! check_eq {
    ($a:expr, $b:expr) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            return Err(alloc::format!(
                "{} == {} failed: {:?} != {:?} ({}:{})",
                stringify!($a),
                stringify!($b),
                a,
                b,
                file!(),
                line!()
            ));
        }
    }};
}

extern "C" {
    // Section bounds: only their addresses are used.
    static __ktests_start: u8;
    static __ktests_end: u8;
}

fn registered() -> &'static [KTest] {
    // SAFETY: the linker script brackets the .ktests section, which holds
    // only `KTest` statics emitted by `ktest!`.
    unsafe {
        let start = (&raw const __ktests_start).cast::<KTest>();
        let end = (&raw const __ktests_end).cast::<KTest>();
        core::slice::from_raw_parts(start, end.offset_from(start) as usize)
    }
}

/// Whether the kernel command line asks for `word`.
pub fn bootarg(word: &str) -> bool {
    crate::boot::bootargs()
        .split_whitespace()
        .any(|w| w == word)
}

/// Run every registered test, print the summary and exit QEMU.
pub fn run_all() -> ! {
    let tests = registered();
    println!("running {} kernel tests", tests.len());
    // File-system caches grow with use; measure memory with them empty.
    let _ = crate::fs::drop_caches();
    let frames_before = frames::free_count();
    let heap_before = heap::used();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut record = |name: &str, result: TestResult| match result {
        Ok(()) => {
            println!("test {name} ... ok");
            passed += 1;
        }
        Err(why) => {
            println!("test {name} ... FAILED");
            println!("    {why}");
            failed += 1;
        }
    };
    for t in tests {
        let result = (t.run)();
        record(t.name, result);
    }
    if let Some(result) = run_user_suite() {
        record("ktest::user_suite_exit", result);
    }
    let leak = leak_check(frames_before, heap_before);
    record("ktest::leak_check", leak);
    let (user_passed, user_failed, skipped) = *USER_COUNTS.lock();
    passed += user_passed as usize;
    failed += user_failed as usize;
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    semihosting::exit(if failed == 0 { 0 } else { 1 })
}

/// Counts the user suite reported with `ktest_report`.
static USER_COUNTS: spin::Mutex<(u64, u64, u64)> = spin::Mutex::new((0, 0, 0));

/// The `ktest_report(passed, failed, skipped)` system call.
pub fn user_report(passed: u64, failed: u64, skipped: u64) -> crate::syscall::Ret {
    *USER_COUNTS.lock() = (passed, failed, skipped);
    crate::syscall::ok0()
}

/// Run `utest` from the boot archive (if present) until every process is
/// gone; `Err` if it did not exit cleanly.
fn run_user_suite() -> Option<TestResult> {
    use crate::task::{initrd, sched};
    initrd::find("utest").ok().flatten()?;
    // `utest=<name>` on the command line runs only that test (or phase).
    let selected = crate::boot::bootargs()
        .split_whitespace()
        .find_map(|w| w.strip_prefix("utest="));
    let mut args: alloc::vec::Vec<&[u8]> = alloc::vec![b"utest"];
    args.extend(selected.map(str::as_bytes));
    let spec = sched::SpawnSpec {
        name: "utest",
        args: &args,
        handles: &[],
        stdio: [0, 0],
        limits: None,
    };
    let pid = match sched::spawn(0, &spec) {
        Ok(spawned) => spawned.process.pid,
        Err(e) => return Some(Err(alloc::format!("spawning utest: {e}"))),
    };
    sched::run_until(|| sched::last_kernel_child().is_some_and(|(p, _)| p == pid));
    // A failed test may leave children running: end them, and say so.
    let leftovers = sched::kill_all();
    Some(match sched::last_kernel_child() {
        _ if leftovers > 0 => Err(alloc::format!(
            "{leftovers} process(es) still running after utest"
        )),
        Some((p, abi::ExitStatus::Exited(0))) if p == pid => Ok(()),
        other => Err(alloc::format!("utest ended with {other:?}")),
    })
}

fn leak_check(frames_before: usize, heap_before: usize) -> TestResult {
    if let Err(e) = crate::fs::drop_caches() {
        return Err(alloc::format!("writing back file-system caches: {e}"));
    }
    let (frames_after, heap_after) = (frames::free_count(), heap::used());
    check_eq!(crate::task::sched::count(), 0);
    for r in klib::account::ALL {
        let used = crate::ipc::root().used(r);
        check!(used == 0, "root account still has {used} {r:?} charged");
    }
    check!(
        frames_after == frames_before,
        "free frames {frames_before} before the suite, {frames_after} after"
    );
    check!(
        heap_after == heap_before,
        "heap bytes in use {heap_before} before the suite, {heap_after} after"
    );
    Ok(())
}

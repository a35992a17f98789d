//! `init`: the first process. Prints a banner, then keeps a shell (`sh`,
//! from `/bin`) running on the console: when it exits, a new one starts.
//! The shell is lent a generous budget (it lends its programs their
//! shares). If the shell cannot be started, or ends at once, init waits a
//! second before trying again rather than spinning. Arguments are ignored.
#![no_std]
#![no_main]

use rt::abi::process::{resource, RESOURCES};
use rt::abi::ExitStatus;
use rt::{println, sys};

rt::entry!(main);

/// What the shell is lent: memory pages, process slots, channel
/// endpoints, queued messages and their bytes.
const SHELL_LIMITS: [u64; RESOURCES] = {
    let mut l = [0; RESOURCES];
    l[resource::PAGES] = 65536;
    l[resource::PROCESSES] = 32;
    l[resource::ENDPOINTS] = 512;
    l[resource::MESSAGES] = 2048;
    l[resource::MESSAGE_BYTES] = 2 * 1024 * 1024;
    l
};

/// A shell that ends sooner than this after starting counts as a failure.
const MIN_RUN_NS: u64 = 1_000_000_000;

/// Start one shell and wait for it; `true` if it ran for a while.
fn run_shell() -> bool {
    let started = sys::clock_ns();
    let shell = match sys::spawn_with("sh", &[], &[], SHELL_LIMITS) {
        Ok(child) => child,
        Err(e) => {
            println!("init: cannot start sh: {e}");
            return false;
        }
    };
    match shell.wait() {
        Ok(ExitStatus::Exited(code)) => println!("init: shell exited ({code}); starting a new one"),
        Ok(ExitStatus::Killed) => println!("init: shell was killed; starting a new one"),
        Ok(ExitStatus::Faulted(kind)) => {
            println!("init: shell crashed ({}); starting a new one", kind.name())
        }
        Err(e) => println!("init: waiting for the shell failed: {e}"),
    }
    sys::clock_ns().saturating_sub(started) >= MIN_RUN_NS
}

fn main(_args: rt::Args) -> i32 {
    let pid = sys::process_info(0).map_or(0, |p| p.pid);
    println!("init: pid {pid}; starting the shell (type `help` for commands)");
    let mut failures = 0u32;
    loop {
        if run_shell() {
            failures = 0;
        } else {
            failures += 1;
            if failures >= 2 {
                sys::sleep_ms(1000);
            }
        }
    }
}

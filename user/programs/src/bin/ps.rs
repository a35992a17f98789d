//! `ps`: one line per process: pid, parent, state, and what it uses of
//! its quotas: memory pages, handle-table slots and channel endpoints
//! (`used/limit`), then its name.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use core::fmt::Write;
use rt::abi::process::{resource, state};
use rt::abi::ProcessInfo;
use userprogs::out::Out;

rt::entry!(main);

/// Most processes listed (the kernel's table is smaller).
const MAX_PIDS: usize = 256;

fn state_name(s: u32) -> &'static str {
    match s {
        state::RUNNABLE => "ready",
        state::RUNNING => "run",
        state::BLOCKED => "wait",
        state::ZOMBIE => "zombie",
        _ => "?",
    }
}

fn name(info: &ProcessInfo) -> &str {
    let len = (info.name_len as usize).min(info.name.len());
    core::str::from_utf8(&info.name[..len]).unwrap_or("?")
}

fn main(_args: rt::Args) -> i32 {
    let mut pids = [0u32; MAX_PIDS];
    let n = match rt::sys::process_list(&mut pids) {
        Ok(n) => n.min(MAX_PIDS),
        Err(e) => {
            rt::eprintln!("ps: {e}");
            return 1;
        }
    };
    let mut out = Out::new("ps");
    let _ = writeln!(
        out,
        "{:>5} {:>5} {:<6} {:>13} {:>7} {:>8} NAME",
        "PID", "PPID", "STATE", "PAGES", "HANDLES", "CHANNELS"
    );
    for &pid in &pids[..n] {
        // A process may end between the list and this call: skip it.
        let Ok(info) = rt::sys::process_info(pid) else {
            continue;
        };
        let pages = format!(
            "{}/{}",
            info.used[resource::PAGES],
            info.limits[resource::PAGES]
        );
        let handles = format!("{}/{}", info.handles_used, info.handles_quota);
        let channels = format!(
            "{}/{}",
            info.used[resource::ENDPOINTS],
            info.limits[resource::ENDPOINTS]
        );
        let _ = writeln!(
            out,
            "{:>5} {:>5} {:<6} {:>13} {:>7} {:>8} {}",
            info.pid,
            info.parent,
            state_name(info.state),
            pages,
            handles,
            channels,
            name(&info)
        );
    }
    0
}

//! `chanhog MODE`: uses up channel quotas for the quota tests.
//! - `fill`: create channels until refused; report `[endpoints, error
//!   code]` (two u32s) on start-up handle 0, then wait for that channel to
//!   close before exiting (so the endpoints are held meanwhile).
//! - `family N`: a family root. Spawn up to N `fill` children (each with
//!   the default 32 endpoints, lent from this process's own limits) until
//!   a spawn is refused. Exit 0 if every child filled exactly 32 endpoints
//!   and every refusal was QuotaExceeded; otherwise a code saying what
//!   went wrong.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use rt::abi::sys::NO_TIMEOUT;
use rt::sys;
use rt::Error;

rt::entry!(main);

fn fill(report: u32) -> i32 {
    let mut endpoints = 0u32;
    let error = loop {
        match sys::channel_create() {
            Ok(_) => endpoints += 2,
            Err(e) => break e,
        }
    };
    let mut msg = [0u8; 8];
    msg[..4].copy_from_slice(&endpoints.to_le_bytes());
    msg[4..].copy_from_slice(&(error.code() as u32).to_le_bytes());
    if sys::channel_send(report, &msg, &[]).is_err() {
        return 3;
    }
    let _ = sys::wait_many(&[report], NO_TIMEOUT);
    0
}

fn family(n: usize) -> i32 {
    let mut children = Vec::new();
    let mut refusal = None;
    for _ in 0..n {
        let (mine, theirs) = match sys::channel_create() {
            Ok(pair) => pair,
            Err(e) => {
                refusal = Some(e);
                break;
            }
        };
        match sys::spawn_with("chanhog", &["fill"], &[theirs], [0; 5]) {
            Ok(child) => children.push((child, mine)),
            Err(e) => {
                let _ = sys::handle_close(mine);
                let _ = sys::handle_close(theirs);
                refusal = Some(e);
                break;
            }
        }
    }
    let mut code = 0;
    if children.is_empty() {
        code = 10;
    }
    if refusal != Some(Error::QuotaExceeded) {
        code = 11;
    }
    for (child, ch) in children {
        let mut msg = [0u8; 8];
        match sys::channel_recv(ch, &mut msg, &mut [], NO_TIMEOUT) {
            Ok((8, 0)) => {
                let endpoints = u32::from_le_bytes([msg[0], msg[1], msg[2], msg[3]]);
                let error = u32::from_le_bytes([msg[4], msg[5], msg[6], msg[7]]);
                if endpoints != 32 || error != Error::QuotaExceeded.code() as u32 {
                    code = 12;
                }
            }
            _ => code = 13,
        }
        let _ = sys::handle_close(ch);
        let _ = child.wait();
    }
    code
}

fn main(args: rt::Args) -> i32 {
    match (args.get(1), rt::startup_handles().first()) {
        (Some("fill"), Some(&report)) => fill(report),
        (Some("family"), _) => family(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4)),
        _ => 2,
    }
}

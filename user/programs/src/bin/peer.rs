//! `peer MODE [MS]`: the other end of a channel for the IPC tests. Its
//! channel endpoint is start-up handle 0.
//! - `echo`: send every message back (bytes and handles) until the peer closes
//! - `send-after MS`: sleep, send "ping", then wait for the peer to close
//! - `close-after MS`: sleep, then exit (closing the endpoint)
//! - `recv-small`: block in a receive with a 4-byte buffer and no room for
//!   handles, report how it ended (error code, then the two values), then
//!   receive the message with room to spare and send it back
//! - `recv-bad`: the same with a buffer that runs off the top of the stack
#![no_std]
#![no_main]

use rt::abi::sys::NO_TIMEOUT;
use rt::sys::{self, RecvError};

rt::entry!(main);

fn main(args: rt::Args) -> i32 {
    let Some(&h) = rt::startup_handles().first() else {
        rt::println!("peer: no channel handle");
        return 2;
    };
    let ms = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    match args.get(1) {
        Some("echo") => {
            let mut buf = [0u8; 4096];
            let mut handles = [0u32; 8];
            loop {
                match sys::channel_recv(h, &mut buf, &mut handles, NO_TIMEOUT) {
                    Ok((n, k)) => {
                        if sys::channel_send(h, &buf[..n], &handles[..k]).is_err() {
                            return 3;
                        }
                    }
                    Err(RecvError::Other(rt::Error::PeerClosed)) => return 0,
                    Err(_) => return 4,
                }
            }
        }
        Some("send-after") => {
            sys::sleep_ms(ms);
            if sys::channel_send(h, b"ping", &[]).is_err() {
                return 3;
            }
            let _ = sys::wait_many(&[h], NO_TIMEOUT);
            0
        }
        Some("close-after") => {
            sys::sleep_ms(ms);
            0
        }
        Some(mode @ ("recv-small" | "recv-bad")) => {
            let mut small = [0u8; 4];
            let (buf, len) = if mode == "recv-small" {
                (small.as_mut_ptr() as u64, small.len() as u64)
            } else {
                ((rt::abi::layout::STACK_TOP - 16) as u64, 64)
            };
            let (code, values) = rt::syscall::call_raw(
                rt::abi::sys::CHANNEL_RECV,
                [h as u64, buf, len, 0, 0, NO_TIMEOUT],
            );
            let mut report = [0u8; 24];
            report[..8].copy_from_slice(&code.to_le_bytes());
            report[8..16].copy_from_slice(&values[0].to_le_bytes());
            report[16..].copy_from_slice(&values[1].to_le_bytes());
            let mut data = [0u8; 64];
            let mut handles = [0u32; 8];
            let echoed = sys::channel_send(h, &report, &[]).and_then(|()| {
                let (n, k) = sys::channel_recv(h, &mut data, &mut handles, NO_TIMEOUT)
                    .map_err(|_| rt::Error::IoError)?;
                sys::channel_send(h, &data[..n], &handles[..k])
            });
            if echoed.is_err() {
                return 3;
            }
            let _ = sys::wait_many(&[h], NO_TIMEOUT);
            0
        }
        _ => 2,
    }
}

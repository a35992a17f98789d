//! `peer MODE [MS]`: the other end of a channel for the IPC tests. Its
//! channel endpoint is start-up handle 0.
//! - `echo`: send every message back (bytes and handles) until the peer closes
//! - `send-after MS`: sleep, send "ping", then wait for the peer to close
//! - `close-after MS`: sleep, then exit (closing the endpoint)
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
        _ => 2,
    }
}

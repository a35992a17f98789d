//! `mount`: list the mounted file systems, one per line, as
//! `<device> on <dir> type <type>`.
#![no_std]
#![no_main]

use core::fmt::Write;
use userprogs::out::Out;

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    let mounts = match rt::fs::mounts() {
        Ok(m) => m,
        Err(e) => {
            rt::eprintln!("mount: {e}");
            return 1;
        }
    };
    let mut out = Out::new("mount");
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        if let Some(dir) = fields.next() {
            let device = fields.next().unwrap_or("-");
            let fs_type = fields.next().unwrap_or("?");
            let _ = writeln!(out, "{device} on {dir} type {fs_type}");
        }
    }
    0
}

//! `df`: for each mounted file system: its device, size, used and
//! available space in KiB, how full it is, and where it is mounted.
#![no_std]
#![no_main]

use core::fmt::Write;
use userprogs::out::Out;

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    let mounts = match rt::fs::mounts() {
        Ok(m) => m,
        Err(e) => {
            rt::eprintln!("df: {e}");
            return 1;
        }
    };
    let mut out = Out::new("df");
    let _ = writeln!(
        out,
        "{:<15} {:>10} {:>10} {:>10} {:>4} Mounted on",
        "Filesystem", "1K-blocks", "Used", "Available", "Use%"
    );
    let mut status = 0;
    for line in mounts.lines() {
        let mut fields = line.split_whitespace();
        let (Some(dir), device) = (fields.next(), fields.next().unwrap_or("-")) else {
            continue;
        };
        match rt::fs::statfs(dir) {
            Ok(st) => {
                let kib = |blocks: u64| blocks.saturating_mul(st.block_size) / 1024;
                let size = kib(st.blocks);
                let avail = kib(st.free_blocks);
                let used = size.saturating_sub(avail);
                let percent = (used * 100).div_ceil((used + avail).max(1));
                let _ = writeln!(
                    out,
                    "{device:<15} {size:>10} {used:>10} {avail:>10} {:>3}% {dir}",
                    percent
                );
            }
            Err(e) => {
                out.flush();
                userprogs::report("df", dir, e);
                status = 1;
            }
        }
    }
    status
}

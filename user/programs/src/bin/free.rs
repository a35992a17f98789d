//! `free`: physical memory in KiB: total, used and free.
#![no_std]
#![no_main]

use core::fmt::Write;
use userprogs::out::Out;

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    let info = match rt::sys::sys_info() {
        Ok(info) => info,
        Err(e) => {
            rt::eprintln!("free: {e}");
            return 1;
        }
    };
    let kib = |frames: u64| frames.saturating_mul(info.page_size) / 1024;
    let total = kib(info.total_frames);
    let free = kib(info.free_frames);
    let mut out = Out::new("free");
    let _ = writeln!(
        out,
        "{:>4} {:>12} {:>12} {:>12}",
        "", "total", "used", "free"
    );
    let _ = writeln!(
        out,
        "Mem: {total:>12} {:>12} {free:>12}",
        total.saturating_sub(free)
    );
    0
}

//! `uptime`: time since boot, as `up H:MM:SS`, and how many processes run.
#![no_std]
#![no_main]

use rt::println;
use userprogs::format::duration;

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    match rt::sys::sys_info() {
        Ok(info) => {
            println!(
                "up {}, {} processes",
                duration(info.uptime_ns),
                info.processes
            );
            0
        }
        Err(e) => {
            rt::eprintln!("uptime: {e}");
            1
        }
    }
}

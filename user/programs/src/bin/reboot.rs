//! `reboot`: write every file system's changes to disk and restart the machine.
#![no_std]
#![no_main]

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    match rt::sys::power(true) {
        Ok(()) => 0,
        Err(e) => {
            rt::eprintln!("reboot: {e}");
            1
        }
    }
}

//! `poweroff`: write every file system's changes to disk and power the machine off.
#![no_std]
#![no_main]

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    match rt::sys::power(false) {
        Ok(()) => 0,
        Err(e) => {
            rt::eprintln!("poweroff: {e}");
            1
        }
    }
}

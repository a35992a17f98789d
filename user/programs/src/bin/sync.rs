//! `sync`: write every file system's cached changes to disk.
#![no_std]
#![no_main]

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    match rt::fs::sync() {
        Ok(()) => 0,
        Err(e) => {
            rt::eprintln!("sync: {e}");
            1
        }
    }
}

//! `cat [files...]`: print the files one after the other; stdin if none
//! is given, or for `-`. A file that cannot be read is reported and
//! skipped (exit status 1).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use userprogs::input::Input;
use userprogs::out::Out;

rt::entry!(main);

/// Copy one input to `out`.
fn cat(path: &str, out: &mut Out) -> Result<(), rt::Error> {
    Input::open(path)?.for_each_chunk(|piece| out.write(piece))
}

fn main(args: rt::Args) -> i32 {
    let mut out = Out::new("cat");
    let mut paths: Vec<&str> = args.iter().skip(1).collect();
    if paths.is_empty() {
        paths.push("-");
    }
    let mut status = 0;
    for path in paths {
        if let Err(e) = cat(path, &mut out) {
            out.flush();
            userprogs::report("cat", path, e);
            status = 1;
        }
    }
    status
}

//! `rmdir dirs...`: remove empty directories.
#![no_std]
#![no_main]

use userprogs::opts::usage_error;

rt::entry!(main);

const USAGE: &str = "usage: rmdir dirs...";

fn main(args: rt::Args) -> i32 {
    if args.len() < 2 {
        return usage_error("rmdir", "missing operand", USAGE);
    }
    let mut status = 0;
    for dir in args.iter().skip(1) {
        if let Err(e) = rt::fs::remove_dir(dir) {
            userprogs::report("rmdir", dir, e);
            status = 1;
        }
    }
    status
}

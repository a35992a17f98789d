//! `ln [-s] target link`: make `link` a new name for `target` (a hard
//! link), or with `-s` a symbolic link holding the text `target`. If
//! `link` is a directory, the link is made in it with `target`'s name.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use rt::fs::kind;
use userprogs::opts::{parse_or_usage, usage_error};
use userprogs::path::{basename, join};

rt::entry!(main);

const USAGE: &str = "usage: ln [-s] target link";

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "s", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let [target, link] = opts.operands[..] else {
        return usage_error("ln", "need a target and a link name", USAGE);
    };
    let link = match rt::fs::metadata(link) {
        Ok(st) if st.kind == kind::DIRECTORY => join(link, basename(target)),
        _ => String::from(link),
    };
    let result = if opts.has('s') {
        rt::fs::soft_link(target, &link)
    } else {
        rt::fs::hard_link(target, &link)
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            userprogs::report("ln", &link, e);
            1
        }
    }
}
